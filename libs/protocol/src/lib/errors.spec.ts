import { ERROR_STATUS, ProtocolError, isErrorCode } from './errors';

describe('ProtocolError', () => {
  it.each([
    ['validation_failed', 400],
    ['clock_skew', 400],
    ['wrong_server', 400],
    ['signature_invalid', 401],
    ['key_mismatch', 401],
    ['unknown_server', 401],
    ['blocked', 403],
    ['domain_not_found', 404],
    ['username_taken', 409],
    ['payload_too_large', 413],
    ['rate_limited', 429],
    ['internal_error', 500],
    ['service_unavailable', 503],
  ] as const)('maps %s to %i', (code, status) => {
    expect(new ProtocolError(code, 'x').status).toBe(status);
  });

  it('renders the error body and keeps Retry-After', () => {
    const err = new ProtocolError('rate_limited', 'over the message limit', 120);
    expect(err).toBeInstanceOf(Error);
    expect(err.toBody()).toEqual({ error: 'rate_limited', message: 'over the message limit' });
    expect(err.retryAfterSeconds).toBe(120);
  });

  it('gives every code a 4xx or 5xx status', () => {
    for (const status of Object.values(ERROR_STATUS)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });

  it('recognises codes, and not inherited object members', () => {
    expect(isErrorCode('key_mismatch')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('teapot')).toBe(false);
  });
});
