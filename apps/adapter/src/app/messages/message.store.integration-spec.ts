import { newMessageId } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { withAdapterSchema } from '../../../test/adapter-schema';
import { encodeContent } from '../common/stored-content';
import { ClaimedPage, MessageStore } from './message.store';

describe(MessageStore.name, () => {
  let dataSource: DataSource;
  withAdapterSchema((opened) => (dataSource = opened));
  beforeEach(() => dataSource.query('DELETE FROM messages'));

  async function queue(n: number, nowMs: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await dataSource.query(
        `INSERT INTO messages (message_id, origin_server, sender_user_id, from_address, to_address, content_json, priority,
           status, destination, attempts, next_attempt_at, created_at)
         VALUES ($1, 'home.test', 'u1', 'alice@home.test', 'bob@remote.test', $2, 1, 'queued', 'remote.test', 0, $3, $3)`,
        [newMessageId(), encodeContent(`page ${i}`), new Date(nowMs)],
      );
    }
  }

  it('lets two concurrent workers claim every due page exactly once', async () => {
    const now = Date.now();
    await queue(200, now);
    const a = new MessageStore(dataSource);
    const b = new MessageStore(dataSource);
    const claimedBy = { a: [] as ClaimedPage[], b: [] as ClaimedPage[] };
    const worker = async (outbox: MessageStore, into: ClaimedPage[]) => {
      for (;;) {
        const pages = await outbox.claimDue(7, now, 60_000);
        if (pages.length === 0) return;
        into.push(...pages);
      }
    };
    await Promise.all([
      worker(a, claimedBy.a),
      worker(b, claimedBy.b),
      worker(a, claimedBy.a),
      worker(b, claimedBy.b),
    ]);
    const all = [...claimedBy.a, ...claimedBy.b].map((p) => p.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(200);
    expect(claimedBy.a.length).toBeGreaterThan(0);
    expect(claimedBy.b.length).toBeGreaterThan(0);
    const rows: { status: string; attempts: number }[] = await dataSource.query(
      'SELECT status, attempts FROM messages',
    );
    expect(rows.every((r) => r.status === 'sending' && r.attempts === 1)).toBe(true);
  });

  it('does not claim a page again while its lease runs, and does once it has expired', async () => {
    const now = Date.now();
    await queue(1, now);
    const outbox = new MessageStore(dataSource);
    const [page] = await outbox.claimDue(10, now, 30_000);
    expect(await outbox.claimDue(10, now + 29_000, 30_000)).toHaveLength(0);
    const [again] = await outbox.claimDue(10, now + 31_000, 30_000);
    expect([again.id, again.attempts]).toEqual([page.id, 2]);
    // The stale claim can no longer record a retry or a failure...
    expect(await outbox.scheduleRetry(page, now, 'late', null)).toBe(false);
    expect(await outbox.finish(page, 'failed', 'late', now, null)).toBe(false);
    // ...but the current one can.
    expect(await outbox.finish(again, 'delivered', null, now, null)).toBe(true);
  });

  it('hands a claim back without counting the attempt', async () => {
    const now = Date.now();
    await queue(1, now);
    const outbox = new MessageStore(dataSource);
    const [page] = await outbox.claimDue(10, now, 30_000);
    expect(await outbox.handBack(page, now + 1_000, 'daemon down')).toBe(true);
    const rows: { status: string; attempts: number }[] = await dataSource.query(
      'SELECT status, attempts FROM messages',
    );
    expect(rows).toEqual([{ status: 'queued', attempts: 0 }]);
    expect(await outbox.claimDue(10, now + 500, 30_000)).toHaveLength(0);
    expect(await outbox.claimDue(10, now + 1_000, 30_000)).toHaveLength(1);
  });

  it('never raises attempts past the limit: a page whose last attempt was lost is claimed as exhausted', async () => {
    const now = Date.now();
    await queue(1, now);
    const outbox = new MessageStore(dataSource);
    const [first] = await outbox.claimDue(10, now, 1_000, 2);
    const [second] = await outbox.claimDue(10, now + 2_000, 1_000, 2);
    const [third] = await outbox.claimDue(10, now + 4_000, 1_000, 2);
    expect([first, second, third].map((p) => [p.attempts, p.exhausted])).toEqual([
      [1, false],
      [2, false],
      [2, true],
    ]);
  });

  it('never claims a finished page', async () => {
    const now = Date.now();
    await queue(1, now);
    const outbox = new MessageStore(dataSource);
    const [page] = await outbox.claimDue(10, now, 1);
    await outbox.finish(page, 'rejected', 'unknown_recipient', now, null);
    expect(await outbox.claimDue(10, now + 60_000, 1)).toHaveLength(0);
  });
});
