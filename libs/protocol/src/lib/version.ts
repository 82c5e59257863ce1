import { ProtocolError } from './errors';

export const PROTOCOL_VERSION = '1.0';
export const VERSION_RE = /^\d+\.\d+$/;

/** Any 1.x: minor versions only add members, which receivers ignore. */
export function isSupportedVersion(v: string): boolean {
  return typeof v === 'string' && VERSION_RE.test(v) && v.split('.')[0] === '1';
}

/**
 * The first check on every protocol object a server receives (a message, a gossip envelope, a
 * query, a peer file), right after JSON parsing and before the schema (docs/protocol.md §10
 * "Order of checks" and §5 "Versioning"). Only the `version` member is read, so an object of a future
 * major with another shape is answered `unsupported_version`, not `validation_failed`.
 *
 * @param body the parsed JSON body, of any type.
 * @throws ProtocolError `validation_failed` when the body is not an object, or `version` is
 *   missing, not a string or not `MAJOR.MINOR`; `unsupported_version` for a `MAJOR.MINOR`
 *   other than 1.x.
 */
export function assertSupportedVersion(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('validation_failed', 'body: must be a JSON object');
  }
  const version: unknown = Object.prototype.hasOwnProperty.call(body, 'version')
    ? (body as Record<string, unknown>)['version']
    : undefined;
  if (typeof version !== 'string' || version.length > 16 || !VERSION_RE.test(version)) {
    throw new ProtocolError('validation_failed', 'version: must be a MAJOR.MINOR version');
  }
  if (!isSupportedVersion(version)) {
    throw new ProtocolError('unsupported_version', `version ${version} is not supported (1.x is)`);
  }
}
