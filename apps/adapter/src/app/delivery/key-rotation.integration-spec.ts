import { join } from 'node:path';
import { createKeyFile } from '@pager/server-kit';
import { ReceiverBehaviour, call, testVectors } from '@pager/testing';
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
  // key_mismatch, then the retry meets a 503 (the attempt is transient), then key_mismatch
  // again in the next attempt.
  later: ['key_mismatch', 'refuse_503', 'key_mismatch', 'ack'],
};

/**
 * docs/protocol.md §6 and §14, sender side of a rotation: an adapter that holds a previous
 * key (PREVIOUS_KEY_PATH) answers the first `401 key_mismatch` a page gets from a strict
 * receiver by asking its daemon to push our announcement (`POST /api/v1/announce`) and
 * sending the same message once more within the same attempt; that answer is not a final
 * 4xx and spends no attempt (history: `key_mismatch_retried`). Once per page: a later
 * key_mismatch for it is final.
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

  it('pushes the announcement and retries once in the same attempt: delivered, 1 attempt spent', async () => {
    const before = announces;
    const { id, state } = await sut.sendAndSettle('moves');
    expect(state).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    expect(announces - before).toBe(1);
    const requests = sut.receiver.requestsFor(id);
    expect(requests.map((r) => r.behaviour)).toEqual(['key_mismatch', 'ack']);
    // The same signed message, sent again.
    expect(requests[1].message).toEqual(requests[0].message);
    expect(historyOf(state)).toEqual([
      { attempt: 1, http_status: 401, error: 'key_mismatch', outcome: 'key_mismatch_retried' },
      { attempt: 1, http_status: 200, error: null, outcome: 'delivered' },
    ]);
  });

  it('takes a second key_mismatch as final: failed after exactly one retry', async () => {
    const before = announces;
    const { id, state } = await sut.sendAndSettle('stubborn');
    expect(state).toMatchObject({ status: 'failed', attempts: 1, last_error: 'key_mismatch' });
    expect(sut.receiver.requestsFor(id)).toHaveLength(2);
    expect(announces - before).toBe(1);
    expect(historyOf(state)).toEqual([
      { attempt: 1, http_status: 401, error: 'key_mismatch', outcome: 'key_mismatch_retried' },
      { attempt: 1, http_status: 401, error: 'key_mismatch', outcome: 'refused' },
    ]);
  });

  it('retries once per page, not per attempt: a key_mismatch in a later attempt is final', async () => {
    const before = announces;
    const { id, state } = await sut.sendAndSettle('later');
    expect(state).toMatchObject({ status: 'failed', attempts: 2, last_error: 'key_mismatch' });
    expect(sut.receiver.requestsFor(id).map((r) => r.behaviour)).toEqual([
      'key_mismatch',
      'refuse_503',
      'key_mismatch',
    ]);
    expect(announces - before).toBe(1);
    expect(historyOf(state).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'key_mismatch_retried'],
      [1, 'transient'],
      [2, 'refused'],
    ]);
  });
});

/**
 * docs/protocol.md §6 and §14, an ack still signed with the key our pin moved away from: not
 * a valid ack by default (`ack_signature_invalid`, after the one refresh of the destination's
 * key); accepted only when KEY_ROTATION_GRACE_MS opts in.
 */
describe('an ack signed with the key the pin moved away from', () => {
  const v = testVectors();
  const first = v.keys['mirah.example.com'];
  const rotated = v.keys['mirah.example.com (rotated)'];
  let refreshes = 0;

  /**
   * Our adapter sending to the strict receiver, whose acks are signed with mirah's first key,
   * while our daemon pins mirah's rotated key and names the first one as `previous_key`,
   * moved a moment ago.
   */
  async function start(env: Record<string, string>): Promise<SenderUnderTest> {
    const self: SenderUnderTest = await startSenderAgainstStrictReceiver({
      plans: {},
      env,
      daemonRoutes: (method, path) => {
        if (method === 'POST' && path === '/api/v1/route/mirah.example.com/refresh') {
          refreshes++;
          return { status: 200, body: routeAnswer(self) };
        }
        if (method === 'POST' && path === '/api/v1/route/mirah.example.com')
          return { status: 200, body: routeAnswer(self) };
        return undefined;
      },
    });
    return self;
  }

  function routeAnswer(sender: SenderUnderTest) {
    return {
      domain: 'mirah.example.com',
      server_id: 'mirah.example.com',
      endpoints: {
        federation: `${sender.receiver.url}/federation`,
        discovery: `${sender.receiver.url}/discovery`,
      },
      public_key: rotated.public_key,
      fingerprint: rotated.fingerprint,
      source: 'cache',
      previous_key: {
        public_key: first.public_key,
        fingerprint: first.fingerprint,
        rotated_at: new Date(Date.now() - 1_000).toISOString(),
      },
    };
  }

  it('is not a valid ack by default: the page is not delivered (ack_signature_invalid)', async () => {
    const sut = await start({});
    try {
      const before = refreshes;
      const { id, state } = await sut.sendAndSettle('oldack');
      expect(state).toMatchObject({
        status: 'failed',
        attempts: 3,
        last_error: 'ack_signature_invalid',
      });
      expect(sut.receiver.requestsFor(id)).toHaveLength(3);
      // One refresh of the destination's key per ack that did not verify.
      expect(refreshes - before).toBe(3);
    } finally {
      await sut.close();
    }
  });

  it('is accepted when the operator opted into KEY_ROTATION_GRACE_MS', async () => {
    const sut = await start({ KEY_ROTATION_GRACE_MS: '600000' });
    try {
      const { id, state } = await sut.sendAndSettle('oldack');
      expect(state).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
      expect(sut.receiver.requestsFor(id)).toHaveLength(1);
    } finally {
      await sut.close();
    }
  });
});

/** The page's attempt history, without its timing. */
function historyOf(state: Record<string, unknown>) {
  return (state.attempt_history as Record<string, unknown>[]).map((a) => ({
    attempt: a.attempt,
    http_status: a.http_status,
    error: a.error,
    outcome: a.outcome,
  }));
}
