import { newMessageId } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { withAdapterSchema } from '../../../test/adapter-schema';
import { encodeContent } from '../common/stored-content';
import { ClaimedPage, MessageStore } from './message.store';

describe(MessageStore.name, () => {
  let dataSource: DataSource;
  withAdapterSchema((opened) => (dataSource = opened));
  beforeEach(async () => {
    await dataSource.query('DELETE FROM messages');
    await dataSource.query('DELETE FROM destinations');
  });

  async function queue(n: number, nowMs: number, destination = 'remote.test'): Promise<void> {
    for (let i = 0; i < n; i++) {
      await dataSource.query(
        `INSERT INTO messages (message_id, origin_server, sender_user_id, from_address, to_address, content_json, priority,
           status, destination, attempts, next_attempt_at, created_at)
         VALUES ($1, 'home.test', 'u1', 'alice@home.test', $4, $2, 1, 'queued', $5, 0, $3, $3)`,
        [
          newMessageId(),
          encodeContent(`page ${i}`),
          new Date(nowMs),
          `bob@${destination}`,
          destination,
        ],
      );
    }
  }

  async function setDestination(serverId: string, state: string, sinceMs: number) {
    await dataSource.query(
      `INSERT INTO destinations (server_id, state, reason, since) VALUES ($1, $2, 'test', $3)
       ON CONFLICT (server_id) DO UPDATE SET state = $2, since = $3`,
      [serverId, state, new Date(sinceMs)],
    );
  }

  it('holds each destination to its cap of pages in flight, destinations taking turns', async () => {
    const now = Date.now();
    await queue(10, now, 'busy.test');
    await queue(2, now, 'quiet.test');
    const store = new MessageStore(dataSource);
    const first = await store.claimDue(100, now, 30_000, 3, 3);
    expect(first.filter((p) => p.destination === 'busy.test')).toHaveLength(3);
    expect(first.filter((p) => p.destination === 'quiet.test')).toHaveLength(2);
    // The cap counts claims still in flight, whoever made them.
    expect(await new MessageStore(dataSource).claimDue(100, now + 1, 30_000, 3, 3)).toHaveLength(0);
    await store.handBack(first[0], now, null);
    expect(await store.claimDue(100, now + 2, 30_000, 3, 3)).toHaveLength(1);
  });

  it('claims nothing of an unreachable or stopped destination, and ends those pages by hold or stop', async () => {
    const now = Date.now();
    await queue(3, now - 10_000, 'down.test');
    await queue(2, now, 'stopped.test');
    await queue(1, now, 'fine.test');
    await setDestination('down.test', 'unreachable', now - 5_000);
    await setDestination('stopped.test', 'stopped', now);
    const store = new MessageStore(dataSource);
    const claimed = await store.claimDue(100, now, 30_000, 3, 10);
    expect(claimed.map((p) => p.destination)).toEqual(['fine.test']);
    // Hold 6 s: counted from the breaker opening (5 s ago), not from the pages' creation.
    const ended = await store.endUndeliverable(now, 6_000);
    expect(ended.map((r) => [r.destination, r.status, r.last_error]).sort()).toEqual([
      ['stopped.test', 'failed', 'delivery_stopped'],
      ['stopped.test', 'failed', 'delivery_stopped'],
    ]);
    const later = await store.endUndeliverable(now + 1_000, 6_000);
    expect(later.map((r) => [r.destination, r.last_error])).toEqual([
      ['down.test', 'destination_unreachable'],
      ['down.test', 'destination_unreachable'],
      ['down.test', 'destination_unreachable'],
    ]);
    const rows: { attempts: number }[] = await dataSource.query(
      "SELECT attempts FROM messages WHERE destination = 'down.test'",
    );
    expect(rows.every((r) => r.attempts === 0)).toBe(true);
  });

  it('claims the oldest waiting page of a destination as its probe', async () => {
    const now = Date.now();
    await queue(2, now - 1_000, 'down.test');
    await setDestination('down.test', 'unreachable', now);
    const store = new MessageStore(dataSource);
    const probe = await store.claimProbe('down.test', now, 30_000, 3);
    expect(probe).toMatchObject({ probe: true, attempts: 1, exhausted: false });
    expect(await store.claimProbe('down.test', now, 30_000, 3)).toMatchObject({ probe: true });
    expect(await store.claimProbe('down.test', now, 30_000, 3)).toBeUndefined();
  });

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

  it("keeps a queued page's trace id and parent span for every claim, by any store instance", async () => {
    const now = Date.now();
    await new MessageStore(dataSource).queueFederated({
      messageId: newMessageId(),
      originServer: 'home.test',
      senderUserId: 'u1',
      from: 'alice@home.test',
      to: 'bob@remote.test',
      contentJson: encodeContent('traced'),
      priority: 1,
      destination: 'remote.test',
      createdAt: new Date(now),
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      traceParent: '00f067aa0ba902b7',
    });
    await queue(1, now); // queued without a trace (before the migration): nulls
    const claimed = await new MessageStore(dataSource).claimDue(10, now, 30_000);
    expect(claimed.map((p) => [p.trace_id, p.trace_parent]).sort()).toEqual([
      [null, null],
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'],
    ]);
    const again = await new MessageStore(dataSource).claimDue(10, now + 31_000, 30_000);
    expect(again.find((p) => p.trace_id !== null)?.trace_parent).toBe('00f067aa0ba902b7');
  });

  it('keeps the digests of attempts leaving together, each for its own current claim only', async () => {
    const now = Date.now();
    await queue(3, now);
    const outbox = new MessageStore(dataSource);
    const pages = await outbox.claimDue(10, now, 1_000);
    const [retaken] = await outbox.claimDue(1, now + 2_000, 1_000);
    const kept = await Promise.all(pages.map((p, i) => outbox.recordDigest(p, `d${i}`)));
    // The page claimed again (its first claim's lease ran out) keeps nothing for the stale claim.
    expect(kept.filter((k) => k === undefined)).toHaveLength(1);
    expect(kept.filter((k) => k !== undefined).map((k) => k?.length)).toEqual([1, 1]);
    expect(await outbox.recordDigest(retaken, 'again')).toEqual(['again']);
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
