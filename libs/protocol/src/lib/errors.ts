/** Every error code a peer or client may see (docs/protocol.md §12, plus the adapter's API). */
export type ErrorCode =
  | 'invalid_json'
  | 'validation_failed'
  | 'unsupported_version'
  | 'unsupported_message_type'
  | 'clock_skew'
  | 'wrong_server'
  | 'signature_invalid'
  | 'key_mismatch'
  | 'unknown_server'
  | 'unauthorized'
  | 'blocked'
  | 'payload_too_large'
  | 'rate_limited'
  | 'not_found'
  | 'domain_not_found'
  | 'pin_pending'
  | 'invalid_username'
  | 'username_taken'
  | 'user_already_registered'
  | 'unknown_recipient'
  | 'invalid_address'
  | 'internal_error'
  | 'service_unavailable'
  | 'conflict';

export const ERROR_STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  validation_failed: 400,
  unsupported_version: 400,
  unsupported_message_type: 400,
  clock_skew: 400,
  wrong_server: 400,
  invalid_username: 400,
  invalid_address: 400,
  signature_invalid: 401,
  key_mismatch: 401,
  unknown_server: 401,
  unauthorized: 401,
  blocked: 403,
  not_found: 404,
  domain_not_found: 404,
  pin_pending: 404,
  unknown_recipient: 404,
  username_taken: 409,
  user_already_registered: 409,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
};

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, s);
}

/** The body of every refused request. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/**
 * A refusal with a protocol error code; the apps' exception filter renders it as
 * `{ error, message }` with `status`, plus `Retry-After` when `retryAfterSeconds` is set.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}
