import { randomUUID } from 'node:crypto';
import { newMessageId } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { withAdapterSchema } from '../../../test/adapter-schema';
import { encodeContent } from '../common/stored-content';
import {
  PROVEN_DESTINATION_SQL,
  UNPROVEN_MAX_IN_FLIGHT,
  isProvenDestination,
} from '../delivery/destination-rules';
import { MessageStore, QueuedPage } from './message.store';

const LEASE_MS = 30_000;

/** A page from alice@home.test to bob@`destination`, created at `nowMs`. */
function page(nowMs: number, destination = 'remote.test'): QueuedPage {
  return {
    messageId: newMessageId(),
    originServer: 'home.test',
    senderUserId: 'u1',
    from: 'alice@home.test',
    to: `bob@${destination}`,
    contentJson: encodeContent('hello'),
    priority: 1,
    destination,
    createdAt: new Date(nowMs),
    traceId: 'a'.repeat(32),
    traceParent: 'b'.repeat(16),
  };
}

function claim(nowMs: number, perDestination = 3, unprovenCap = perDestination) {
  return {
    nowMs,
    perDestination,
    unprovenCap,
    token: randomUUID(),
    leaseEndMs: nowMs + LEASE_MS,
    digest: `digest-${randomUUID()}`,
  };
}

describe('MessageStore.queueClaimed (a page claimed as it is queued)', () => {
  let dataSource: DataSource;
  withAdapterSchema((opened) => (dataSource = opened));
  beforeEach(async () => {
    await dataSource.query('DELETE FROM messages');
    await dataSource.query('DELETE FROM destinations');
  });

  /** A healthy destination acked at `nowMs`, with `failures` failed attempts since. */
  async function acked(serverId: string, nowMs: number, failures: number) {
    await dataSource.query(
      `INSERT INTO destinations (server_id, state, since, last_success_at, consecutive_failures)
       VALUES ($1, 'healthy', $2, $2, $3)`,
      [serverId, new Date(nowMs), failures],
    );
  }

  async function stored(messageId: string) {
    const rows: {
      status: string;
      attempts: number;
      claim_token: string | null;
      next_attempt_at: Date;
      attempt_digests: string[];
      trace_id: string | null;
    }[] = await dataSource.query(
      'SELECT status, attempts, claim_token, next_attempt_at, attempt_digests, trace_id FROM messages WHERE message_id = $1',
      [messageId],
    );
    return rows[0];
  }

  it('inserts the page sending, attempt 1, with its claim token, lease and first digest, in one statement', async () => {
    const now = Date.now();
    const store = new MessageStore(dataSource);
    const p = page(now);
    const c = claim(now);
    const claimed = await store.queueClaimed(p, c);
    expect(claimed).toMatchObject({
      message_id: p.messageId,
      status: 'sending',
      attempts: 1,
      destination: 'remote.test',
      claim_token: c.token,
      exhausted: false,
      probe: false,
      trace_id: p.traceId,
      trace_parent: p.traceParent,
    });
    const row = await stored(p.messageId);
    expect(row.claim_token).toBe(c.token);
    expect(row.next_attempt_at.getTime()).toBe(now + LEASE_MS);
    expect(row.attempt_digests).toEqual([c.digest]);
    // The claim is ours: the outcome is fenced by its token as for any claim.
    expect(await store.scheduleRetry(claimed!, now + 1_000, 'ack_timeout', null)).toBe(true);
  });

  it('queues instead (no claim, no digest) when the breaker is not closed', async () => {
    const now = Date.now();
    const store = new MessageStore(dataSource);
    for (const state of ['backing_off', 'unreachable', 'stopped']) {
      await dataSource.query(
        `INSERT INTO destinations (server_id, state, reason, since) VALUES ($1, $2, 'test', $3)`,
        [`${state.replace('_', '-')}.test`, state, new Date(now)],
      );
      const p = page(now, `${state.replace('_', '-')}.test`);
      expect(await store.queueClaimed(p, claim(now))).toBeUndefined();
      expect(await stored(p.messageId)).toMatchObject({
        status: 'queued',
        attempts: 0,
        claim_token: null,
        attempt_digests: [],
      });
    }
    // A healthy destination takes it.
    await dataSource.query(
      `INSERT INTO destinations (server_id, state, since) VALUES ('fine.test', 'healthy', $1)`,
      [new Date(now)],
    );
    expect(await store.queueClaimed(page(now, 'fine.test'), claim(now))).toBeDefined();
  });

  it('holds the per-destination cap over claims of every replica, and lets older waiting pages go first', async () => {
    const now = Date.now();
    const replicaA = new MessageStore(dataSource);
    const replicaB = new MessageStore(dataSource);
    // Two claimed at once by A, one by B: the cap of 3 is full.
    expect(await replicaA.queueClaimed(page(now), claim(now))).toBeDefined();
    expect(await replicaA.queueClaimed(page(now), claim(now))).toBeDefined();
    const third = await replicaB.queueClaimed(page(now), claim(now));
    expect(third).toBeDefined();
    const fourth = page(now);
    expect(await replicaB.queueClaimed(fourth, claim(now))).toBeUndefined();
    expect((await stored(fourth.messageId)).status).toBe('queued');
    // A slot frees, but the queued page is due and waiting: a new page does not overtake it.
    await replicaB.scheduleRetry(third!, now + 60_000, 'ack_timeout', null);
    const fifth = page(now + 1);
    expect(await replicaA.queueClaimed(fifth, claim(now + 1))).toBeUndefined();
    // The outbox poll takes the waiting pages in their order, within the cap.
    const polled = await replicaA.claimDue(10, now + 2, LEASE_MS, 5, 3);
    expect(polled.map((p) => p.message_id)).toEqual([fourth.messageId]);
  });

  it('never exceeds the cap when replicas claim at queue time and by poll concurrently', async () => {
    const now = Date.now();
    const stores = [new MessageStore(dataSource), new MessageStore(dataSource)];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stores[i % 2]
          .queueClaimed(page(now), claim(now, 4))
          .then(() => stores[(i + 1) % 2].claimDue(10, now, LEASE_MS, 5, 4)),
      ),
    );
    const rows: { n: number }[] = await dataSource.query(
      "SELECT count(*)::integer AS n FROM messages WHERE status = 'sending' AND claim_token IS NOT NULL AND next_attempt_at > $1",
      [new Date(now)],
    );
    expect(rows[0].n).toBe(4);
  });

  it("a page claimed at queue time whose replica died is taken by another after the lease, and the dead claim's outcome is fenced", async () => {
    const now = Date.now();
    const dead = new MessageStore(dataSource);
    const survivor = new MessageStore(dataSource);
    const p = page(now);
    const c = claim(now);
    const lost = await dead.queueClaimed(p, c);
    expect(lost).toBeDefined();
    // While the lease runs nobody else takes it.
    expect(await survivor.claimDue(10, now + LEASE_MS - 1, LEASE_MS, 5, 3)).toHaveLength(0);
    const [taken] = await survivor.claimDue(10, now + LEASE_MS, LEASE_MS, 5, 3);
    expect(taken).toMatchObject({ message_id: p.messageId, attempts: 2, exhausted: false });
    expect(taken.claim_token).not.toBe(c.token);
    // The dead replica's late results change nothing; the first attempt's digest is kept for acks.
    expect(await dead.scheduleRetry(lost!, now, 'late', null)).toBe(false);
    expect(await dead.finish(lost!, 'failed', 'late', now, null)).toBe(false);
    expect(await survivor.recordDigest(taken, 'second-digest')).toEqual([
      c.digest,
      'second-digest',
    ]);
    expect(await survivor.finish(taken, 'delivered', null, now + LEASE_MS, null)).toBe(true);
  });

  it('counts the claimed attempt against the limit: with one attempt allowed a dead claim ends the page failed', async () => {
    const now = Date.now();
    const store = new MessageStore(dataSource);
    const p = page(now);
    await store.queueClaimed(p, claim(now));
    const [again] = await store.claimDue(10, now + LEASE_MS, LEASE_MS, 1, 3);
    expect(again).toMatchObject({ message_id: p.messageId, attempts: 1, exhausted: true });
  });

  it('takes at most the unproven cap at once for a destination that has not acked yet, the full cap once it has', async () => {
    const now = Date.now();
    const store = new MessageStore(dataSource);
    const atOnce = async (destination: string, n: number) => {
      const claimed = [];
      for (let i = 0; i < n; i++) {
        const c = await store.queueClaimed(page(now, destination), claim(now, 32, 2));
        if (c) claimed.push(c);
      }
      return claimed;
    };
    // No row yet (never attempted): 2 of 5 claimed at once, not proven.
    const fresh = await atOnce('new.test', 5);
    expect(fresh).toHaveLength(2);
    expect(fresh.every((c) => c.proven === false)).toBe(true);
    // Healthy and acked, nothing failed since: the full cap.
    await acked('acked.test', now, 0);
    const proven = await atOnce('acked.test', 5);
    expect(proven).toHaveLength(5);
    expect(proven.every((c) => c.proven === true)).toBe(true);
    // Healthy but failed since its last ack: back to the unproven cap.
    await acked('flaky.test', now, 1);
    expect(await atOnce('flaky.test', 5)).toHaveLength(2);
    expect(UNPROVEN_MAX_IN_FLIGHT).toBeLessThan(32);
  });

  it('judges "proven" in SQL as isProvenDestination does', async () => {
    const now = new Date();
    const rows: [string, string, Date | null, number, boolean][] = [
      ['a.test', 'healthy', now, 0, true],
      ['b.test', 'healthy', null, 0, false],
      ['c.test', 'healthy', now, 1, false],
      ['d.test', 'backing_off', now, 1, false],
      ['e.test', 'unreachable', now, 5, false],
      ['f.test', 'stopped', now, 0, false],
    ];
    for (const [id, state, success, failures] of rows)
      await dataSource.query(
        `INSERT INTO destinations (server_id, state, since, last_success_at, consecutive_failures)
         VALUES ($1, $2, $3, $4, $5)`,
        [id, state, now, success, failures],
      );
    const judged: { server_id: string; proven: boolean }[] = await dataSource.query(
      `SELECT w.id AS server_id, COALESCE(${PROVEN_DESTINATION_SQL}, false) AS proven
       FROM (VALUES ('a.test'), ('b.test'), ('c.test'), ('d.test'), ('e.test'), ('f.test'), ('none.test')) AS w(id)
       LEFT JOIN destinations d ON d.server_id = w.id ORDER BY w.id`,
    );
    const expected = rows.map(([id, state, success, failures]) => ({
      server_id: id,
      proven: isProvenDestination({
        state: state as 'healthy',
        reason: null,
        sinceMs: now.getTime(),
        consecutiveFailures: failures,
        lastSuccessMs: success?.getTime() ?? null,
        lastError: null,
        nextAttemptMs: null,
      }),
    }));
    expected.push({ server_id: 'none.test', proven: isProvenDestination(null) });
    expect(judged).toEqual(expected);
    expect(rows.map((r) => r[4])).toEqual(expected.slice(0, 6).map((e) => e.proven));
  });

  it('claims for unproven destinations only up to their cap and the room left for them, proven ones in full', async () => {
    const now = Date.now();
    const store = new MessageStore(dataSource);
    await acked('acked.test', now, 0);
    for (const destination of ['acked.test', 'dead1.test', 'dead2.test', 'dead3.test'])
      for (let i = 0; i < 10; i++) await store.queueFederated(page(now, destination));
    const claimed = await store.claimDue(100, now, LEASE_MS, 5, 32, { cap: 4, room: 6 });
    const by = (d: string) => claimed.filter((c) => c.destination === d);
    expect(by('acked.test')).toHaveLength(10);
    expect(by('acked.test').every((c) => c.proven)).toBe(true);
    const unproven = claimed.filter((c) => c.destination !== 'acked.test');
    expect(unproven).toHaveLength(6);
    expect(unproven.every((c) => !c.proven)).toBe(true);
    for (const d of ['dead1.test', 'dead2.test', 'dead3.test'])
      expect(by(d).length).toBeLessThanOrEqual(4);
    // The caps count live claims: the next claim adds at most up to 4 per unproven destination.
    const more = await store.claimDue(100, now + 1, LEASE_MS, 5, 32, { cap: 4, room: 100 });
    for (const d of ['dead1.test', 'dead2.test', 'dead3.test'])
      expect(by(d).length + more.filter((c) => c.destination === d).length).toBe(4);
  });
});
