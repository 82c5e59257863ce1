import { ProtocolError, isValidServerId } from '@pager/protocol';

/** A server id from a path or body; 400 validation_failed unless it is a valid DNS name. */
export function requireServerId(value: unknown, what = 'server_id'): string {
  if (typeof value !== 'string' || !isValidServerId(value)) {
    throw new ProtocolError('validation_failed', `${what}: must be a lowercase DNS name`);
  }
  return value;
}

/** validateWire's outcome as a value or a 400 validation_failed with every reason. */
export function requireValid<T>(
  result: { ok: true; value: T } | { ok: false; errors: string[] },
): T {
  if (!result.ok) throw new ProtocolError('validation_failed', result.errors.join('; '));
  return result.value;
}
