import type { ErrorCode } from '@pager/protocol';

/**
 * What a public route that takes a signed envelope from another daemon (`gossip`,
 * `gossip_push`, `query`) can answer, in the order of checks (docs/protocol.md §10):
 * schema and version, replay window, signature and pin, blocklist, rate limit. For the
 * `errors` of their `@ApiRoute`.
 */
export const SIGNED_ENVELOPE_ERRORS: ErrorCode[] = [
  'validation_failed',
  'unsupported_version',
  'clock_skew',
  'signature_invalid',
  'key_mismatch',
  'unknown_server',
  'blocked',
  'rate_limited',
];
