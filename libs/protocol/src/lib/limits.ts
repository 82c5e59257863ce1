/** Request body limits (docs/protocol.md §12): over them, 413 payload_too_large. */
export const MAX_MESSAGE_BODY_BYTES = 64 * 1024;
export const MAX_QUERY_BODY_BYTES = 64 * 1024;
export const MAX_GOSSIP_BODY_BYTES = 4 * 1024 * 1024;

export const MAX_ANNOUNCEMENTS_PER_ENVELOPE = 500;
export const MAX_CONTENT_CODE_POINTS = 4096;
export const MAX_QUERY_HOPS = 5;

/** The only reasons a signed ack may give for `status: rejected`; each one is final. */
export const REJECT_REASONS = [
  'unknown_recipient',
  'recipient_not_accepting',
  'blocked_by_recipient',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
