import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a webhook post (docs/operations.md, Webhooks). */
export const WEBHOOK_HEADERS = {
  eventId: 'x-pager-event-id',
  timestamp: 'x-pager-timestamp',
  signature: 'x-pager-signature',
} as const;

/**
 * `sha256=<lowercase hex HMAC-SHA256 under secret>` over `<timestamp>.<raw body>`, where
 * timestamp is the `X-Pager-Timestamp` header (Unix seconds): the receiver recomputes it
 * from the raw bytes it got, compares in constant time, and refuses old timestamps.
 */
export function webhookSignature(
  secret: string,
  timestampSeconds: number,
  rawBody: string,
): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`, 'utf8');
  return `sha256=${mac.digest('hex')}`;
}

/** The receiver's check (also what our tests use): true if `header` signs this body and time. */
export function verifyWebhookSignature(
  secret: string,
  timestampSeconds: number,
  rawBody: string,
  header: string,
): boolean {
  const expected = Buffer.from(webhookSignature(secret, timestampSeconds, rawBody));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
