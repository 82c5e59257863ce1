export const PROTOCOL_VERSION = '1.0';
export const VERSION_RE = /^\d+\.\d+$/;

/** Any 1.x: minor versions only add members, which receivers ignore. */
export function isSupportedVersion(v: string): boolean {
  return typeof v === 'string' && VERSION_RE.test(v) && v.split('.')[0] === '1';
}
