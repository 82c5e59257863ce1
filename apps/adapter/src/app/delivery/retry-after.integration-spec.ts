import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, KeyObject } from 'node:crypto';
import { parsePrivateKey } from '@pager/protocol';
import { call, eventually } from '@pager/testing';
import { DataSource } from 'typeorm';
import {
  SenderUnderTest,
  startSenderAgainstStrictReceiver,
} from '../../../test/strict-receiver-sender';

jest.setTimeout(60_000);

/** DELIVERY_HOLD_MS of the sender under test: the cap a Retry-After of 999999 s meets. */
const HOLD_MS = 3_000;

/**
 * A receiver answering `Retry-After: 999999` (429, and 503) is honoured only up to 1 h and
 * DELIVERY_HOLD_MS (here 3 s): the page goes again at the cap, not 11.5 days later, and is
 * delivered then; after the 503 the destination's `next_attempt_at` is the page's.
 */
describe('Retry-After beyond the cap (PROTOCOL.md §5, "Honour Retry-After")', () => {
  let sut: SenderUnderTest;
  let senderKey: KeyObject | undefined;

  beforeAll(async () => {
    sut = await startSenderAgainstStrictReceiver({
      plans: { flooded: ['rate_limited_far'], overloaded: ['unavailable_far'] },
      receiver: { senderKey: () => senderKey },
      env: { DELIVERY_HOLD_MS: String(HOLD_MS), RETRY_DELAY_MS: '200' },
    });
    senderKey = createPublicKey(
      parsePrivateKey(readFileSync(join(sut.dataDir, 'server-key.pem'), 'utf8')),
    );
  }, 60_000);

  afterAll(() => sut?.close());

  it('retries a page answered 429 Retry-After: 999999 at the hold cap, and delivers it', async () => {
    const { id, state } = await sut.sendAndSettle('flooded');
    expect(state).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
    const [first, second] = sut.receiver.requestsFor(id);
    const waitedMs = second.atMs - first.atMs;
    expect(waitedMs).toBeGreaterThanOrEqual(HOLD_MS - 100);
    // The scheduler's poll and the attempt itself add a little; nothing near 999999 s.
    expect(waitedMs).toBeLessThan(HOLD_MS + 2_500);
    const history = (await call(sut.base, 'GET', `/api/v1/messages/${id}`)).body.attempt_history;
    expect(history[0]).toMatchObject({ http_status: 429, outcome: 'transient' });
  });

  it("after a 503 Retry-After: 999999 the destination's next_attempt_at is the page's retry, at the cap", async () => {
    const sent = await call(sut.base, 'POST', '/api/v1/messages', {
      sender_user_id: 'u-taylor',
      to: 'overloaded@mirah.example.com',
      content: 'page for overloaded',
    });
    expect(sent.status).toBe(202);
    const id = sent.body.message_id as string;
    const db = sut.service.app.get(DataSource);
    const { destination, pageNextMs, answeredMs } = await eventually(
      async () => {
        const [page] = await db.query(
          `SELECT next_attempt_at, claim_token FROM messages WHERE message_id = $1`,
          [id],
        );
        const view = (await call(sut.base, 'GET', '/api/v1/destinations/mirah.example.com')).body;
        const request = sut.receiver.requestsFor(id)[0];
        if (!page || page.claim_token !== null || view.state !== 'backing_off' || !request)
          return undefined;
        return {
          destination: view,
          pageNextMs: new Date(page.next_attempt_at).getTime(),
          answeredMs: request.atMs,
        };
      },
      10_000,
      'the 503 to be recorded',
      20,
    );
    expect(new Date(destination.next_attempt_at).getTime()).toBe(pageNextMs);
    expect(pageNextMs - answeredMs).toBeGreaterThanOrEqual(HOLD_MS - 100);
    expect(pageNextMs - answeredMs).toBeLessThanOrEqual(HOLD_MS + 1_000);
    const settled = await eventually(
      async () => {
        const s = (await call(sut.base, 'GET', `/api/v1/messages/${id}`)).body;
        return s.status === 'delivered' ? s : undefined;
      },
      15_000,
      `${id} to be delivered`,
    );
    expect(settled.attempts).toBe(2);
    expect(sut.receiver.requestsFor(id)[1].atMs).toBeGreaterThanOrEqual(pageNextMs - 50);
  });
});
