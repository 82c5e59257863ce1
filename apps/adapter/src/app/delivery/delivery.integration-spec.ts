import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, KeyObject } from 'node:crypto';
import { messageDigest, parsePrivateKey } from '@pager/protocol';
import { ReceiverBehaviour, call, naughtyStrings } from '@pager/testing';
import {
  SenderUnderTest,
  startSenderAgainstStrictReceiver,
} from '../../../test/strict-receiver-sender';

jest.setTimeout(60_000);

/** Behaviour of the strict receiver per recipient, request by request (then `ack`). */
const plans: Record<string, ReceiverBehaviour[]> = {
  lostack: ['lose_ack'],
  flaky: ['store_then_503', 'store_then_bad_signature'],
  liar: ['store_then_wrong_digest'],
  alwayslies: ['store_then_wrong_digest', 'store_then_wrong_digest', 'store_then_wrong_digest'],
};

/**
 * PROTOCOL.md section 5, ack digest rule, sender side: against a strict receiver that
 * stores the first copy that arrives and answers every repeat with that copy's digest, a
 * page whose first acks were lost (timeout, 5xx, an ack that does not verify, a wrong
 * digest) still ends `delivered`, with one copy in the remote inbox.
 */
describe('delivery against a strict receiver (lost acks)', () => {
  let sut: SenderUnderTest;
  let senderKey: KeyObject | undefined;

  beforeAll(async () => {
    sut = await startSenderAgainstStrictReceiver({
      plans,
      receiver: { senderKey: () => senderKey },
    });
    senderKey = createPublicKey(
      parsePrivateKey(readFileSync(join(sut.dataDir, 'server-key.pem'), 'utf8')),
    );
  }, 60_000);

  afterAll(() => sut?.close());

  it('delivers when the ack of attempt 1 is lost (timeout): the retry is acked with attempt 1 digest', async () => {
    const { id, state } = await sut.sendAndSettle('lostack');
    expect(state).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
    const requests = sut.receiver.requestsFor(id);
    expect(requests).toHaveLength(2);
    // Each attempt was signed afresh: the ack of the second names the first one's digest.
    expect(messageDigest(requests[1].message)).not.toBe(messageDigest(requests[0].message));
    expect(sut.receiver.copiesOf(id)).toEqual([
      { message: requests[0].message, digest: messageDigest(requests[0].message) },
    ]);
  });

  it('delivers after a 5xx and then an ack that does not verify, with one stored copy', async () => {
    const { id, state } = await sut.sendAndSettle('flaky');
    expect(state).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    expect(sut.receiver.requestsFor(id)).toHaveLength(3);
    expect(sut.receiver.copiesOf(id)).toHaveLength(1);
  });

  it('delivers after an ack naming a wrong digest', async () => {
    const { id, state } = await sut.sendAndSettle('liar');
    expect(state).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(sut.receiver.copiesOf(id)).toHaveLength(1);
  });

  it('fails when no ack ever names a digest it signed', async () => {
    const { id, state } = await sut.sendAndSettle('alwayslies');
    expect(state).toMatchObject({
      status: 'failed',
      attempts: 3,
      last_error: 'ack_digest_mismatch',
    });
    expect(sut.receiver.requestsFor(id)).toHaveLength(3);
  });

  it('lists the attempt history of a page: start, duration, HTTP status or error, outcome', async () => {
    const { id } = await sut.sendAndSettle('flaky');
    const state = (await call(sut.base, 'GET', `/api/v1/messages/${id}`)).body;
    expect(state.attempts).toBe(3);
    expect(state.attempt_history).toEqual([
      expect.objectContaining({
        attempt: 1,
        http_status: 503,
        outcome: 'transient',
        error: 'unavailable',
      }),
      expect.objectContaining({
        attempt: 2,
        http_status: 200,
        outcome: 'transient',
        error: 'ack_signature_invalid',
      }),
      expect.objectContaining({ attempt: 3, http_status: 200, outcome: 'delivered', error: null }),
    ]);
    for (const a of state.attempt_history) {
      expect(Number.isNaN(Date.parse(a.started_at))).toBe(false);
      expect(a.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  describe('operator API of destinations', () => {
    it('lists destinations with their state and counts, filters by state, looks one up', async () => {
      const all = await call(sut.base, 'GET', '/api/v1/destinations');
      expect(all.status).toBe(200);
      const mirahView = all.body.destinations.find(
        (d: { server_id: string }) => d.server_id === 'mirah.example.com',
      );
      expect(Object.keys(mirahView).sort()).toEqual(
        [
          'server_id',
          'state',
          'reason',
          'since',
          'last_success_at',
          'last_error',
          'next_attempt_at',
          'pages_waiting',
          'pages_in_flight',
          'consecutive_failures',
        ].sort(),
      );
      expect(mirahView).toMatchObject({ state: 'healthy', pages_waiting: 0, pages_in_flight: 0 });
      expect(
        (await call(sut.base, 'GET', '/api/v1/destinations?state=stopped')).body.destinations,
      ).toEqual([]);
      const one = await call(sut.base, 'GET', '/api/v1/destinations/mirah.example.com');
      expect(one.body).toEqual(mirahView);
      expect((await call(sut.base, 'GET', '/api/v1/destinations/nobody.example')).body.error).toBe(
        'not_found',
      );
      expect((await call(sut.base, 'GET', '/api/v1/destinations/nobody.example')).status).toBe(404);
    });

    it('describes the destinations API in the OpenAPI document', async () => {
      const doc = (await call(sut.base, 'GET', '/docs')).body;
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      for (const path of [
        '/api/v1/destinations',
        '/api/v1/destinations/{serverId}',
        '/api/v1/destinations/{serverId}/retry',
        '/api/v1/destinations/{serverId}/delivery',
      ])
        expect(text).toContain(path);
    });

    it('serves the HTML overview at GET /status', async () => {
      const res = await fetch(`${sut.base}/status`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('mirah.example.com');
    });

    it('answers 400 with the error shape to bad ids, filters and bodies, never a 500', async () => {
      for (const path of [
        '/api/v1/destinations?state=asleep',
        '/api/v1/destinations?sort=random()',
        `/api/v1/destinations/${encodeURIComponent('Bad_Host!')}`,
        `/api/v1/destinations/${encodeURIComponent("' OR 1=1 --")}`,
      ]) {
        const res = await call(sut.base, 'GET', path);
        expect([res.status, res.body.error, typeof res.body.message]).toEqual([
          400,
          'validation_failed',
          'string',
        ]);
      }
      for (const body of [
        {},
        { state: 'stopped' },
        { state: 'stopped', reason: '' },
        { state: 'stopped', reason: 'x'.repeat(501) },
        { state: 'paused' },
        [],
        JSON.stringify('stopped'),
      ]) {
        const res = await call(
          sut.base,
          'PUT',
          '/api/v1/destinations/mirah.example.com/delivery',
          body,
        );
        expect([res.status, res.body.error]).toEqual([400, 'validation_failed']);
      }
      for (const naughty of naughtyStrings()) {
        const res = await call(sut.base, 'PUT', '/api/v1/destinations/naughty.example/delivery', {
          state: 'stopped',
          reason: naughty,
        });
        expect(res.status).toBeLessThan(500);
        if (res.status === 200) expect(res.body.reason).toBe(naughty);
      }
    });

    it('stops delivery (pages end failed, delivery_stopped), resumes it, retries', async () => {
      const stop = await call(sut.base, 'PUT', '/api/v1/destinations/mirah.example.com/delivery', {
        state: 'stopped',
        reason: 'abuse report 42',
      });
      expect(stop.status).toBe(200);
      expect(stop.body).toMatchObject({
        server_id: 'mirah.example.com',
        state: 'stopped',
        reason: 'abuse report 42',
      });
      expect(
        (await call(sut.base, 'POST', '/api/v1/destinations/mirah.example.com/retry')).status,
      ).toBe(409);
      const { id, state } = await sut.sendAndSettle('stopped');
      expect(state).toMatchObject({
        status: 'failed',
        attempts: 0,
        last_error: 'delivery_stopped',
      });
      expect(sut.receiver.requestsFor(id)).toHaveLength(0);

      const resume = await call(
        sut.base,
        'PUT',
        '/api/v1/destinations/mirah.example.com/delivery',
        {
          state: 'active',
        },
      );
      expect(resume.body).toMatchObject({ state: 'healthy', reason: null });
      expect((await sut.sendAndSettle('resumed')).state.status).toBe('delivered');
      const retry = await call(sut.base, 'POST', '/api/v1/destinations/mirah.example.com/retry');
      expect(retry.status).toBe(202);
      expect(
        (await call(sut.base, 'POST', '/api/v1/destinations/nobody.example/retry')).status,
      ).toBe(404);
    });
  });
});
