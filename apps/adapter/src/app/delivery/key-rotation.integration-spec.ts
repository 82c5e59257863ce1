import { join } from 'node:path';
import { createKeyFile } from '@pager/server-kit';
import { ReceiverBehaviour, call } from '@pager/testing';
import {
  SenderUnderTest,
  startSenderAgainstStrictReceiver,
} from '../../../test/strict-receiver-sender';

jest.setTimeout(60_000);

/** Per recipient, the strict receiver's answer to each request of a page (then `ack`). */
const plans: Record<string, ReceiverBehaviour[]> = {
  // Its pin moves once our announcement was pushed: the retry is accepted.
  moves: ['key_mismatch'],
  // Never moves its pin (it fetches our announcement once a minute at most).
  stubborn: Array(20).fill('key_mismatch'),
};

/**
 * docs/protocol.md §2, sender side of a rotation: an adapter that holds a previous key
 * (PREVIOUS_KEY_PATH) answers `401 key_mismatch` from a strict receiver by asking its daemon
 * to push our announcement (`POST /api/v1/announce`) and sending the same message once more,
 * and does not take that first answer as a final 4xx.
 */
describe('delivery during our key rotation (401 key_mismatch)', () => {
  let sut: SenderUnderTest;
  let announces = 0;

  beforeAll(async () => {
    sut = await startSenderAgainstStrictReceiver({
      plans,
      daemonRoutes: (method, path) => {
        if (method !== 'POST' || path !== '/api/v1/announce') return undefined;
        announces++;
        return { status: 200, body: {} };
      },
      // A rotation under way: the previous key beside the current one.
      beforeStart: (dataDir) => {
        const previous = join(dataDir, 'server-key.previous.pem');
        createKeyFile(previous);
        return { PREVIOUS_KEY_PATH: previous };
      },
    });
  }, 60_000);

  afterAll(() => sut?.close());

  it('shows the previous key beside the current one (GET /api/v1/keys)', async () => {
    const keys = (await call(sut.base, 'GET', '/api/v1/keys')).body;
    expect(keys.previous_fingerprint).toMatch(/^[0-9A-F]{64}$/);
    expect(keys.previous_fingerprint).not.toBe(keys.fingerprint);
  });

  it('pushes the announcement and retries once in the same attempt: delivered', async () => {
    const before = announces;
    const { id, state } = await sut.sendAndSettle('moves');
    expect(state).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    expect(announces - before).toBe(1);
    const requests = sut.receiver.requestsFor(id);
    expect(requests.map((r) => r.behaviour)).toEqual(['key_mismatch', 'ack']);
    // The same signed message, sent again.
    expect(requests[1].message).toEqual(requests[0].message);
  });

  it('takes a second key_mismatch as transient, not final: every attempt is spent, each retried once', async () => {
    const { id, state } = await sut.sendAndSettle('stubborn');
    expect(state).toMatchObject({ status: 'failed', attempts: 3, last_error: 'key_mismatch' });
    expect(sut.receiver.requestsFor(id)).toHaveLength(6);
  });
});
