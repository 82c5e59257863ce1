import { buildDigest } from './gossip-state';
import { GossipTable } from './gossip-table';
import { answerGossip, answerPush, mergeEntries, openExchange, planExchangePush } from './exchange';
import { seededRng } from './seeded-rng';
import { simAnnouncement, simServerId } from './simulation';

const T0 = Date.parse('2025-10-15T10:00:00Z');
const entries = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => simAnnouncement(simServerId(i + offset), T0 + i * 1000));
const lines = (table: GossipTable) =>
  [...table.values()].map((e) => ({ server_id: e.serverId, timestamp: e.timestamp }));

describe('GossipTable', () => {
  it('keeps its digest equal to a full rebuild through inserts, replacements and removals', () => {
    const table = new GossipTable(entries(300));
    expect(table.digest()).toEqual(buildDigest(lines(table)));
    table.set(simAnnouncement(simServerId(5), T0 + 9_999_000));
    table.set(simAnnouncement('new.example', T0));
    expect(table.delete(simServerId(7))).toBe(true);
    expect(table.delete('never.example')).toBe(false);
    expect(table.size).toBe(300);
    expect(table.digest()).toEqual(buildDigest(lines(table)));
  });

  it('lists each bucket sorted by server_id and every entry once', () => {
    const table = new GossipTable(entries(200));
    const ids = [...table.keys()];
    expect(new Set(ids).size).toBe(200);
    for (let b = 0; b < 64; b++) {
      const bucket = table.bucketEntries(b).map((e) => e.serverId);
      expect(bucket).toEqual([...bucket].sort());
    }
  });

  it('forks copy-on-write: the child diverges, the parent stays as it was and is frozen', () => {
    const parent = new GossipTable(entries(100));
    const before = parent.digest();
    const child = parent.fork();
    expect(child.digest()).toEqual(before);
    expect(child.privateSize()).toBe(0);
    child.set(simAnnouncement('joiner.example', T0));
    child.delete(simServerId(3));
    expect(child.has('joiner.example')).toBe(true);
    expect(child.has(simServerId(3))).toBe(false);
    expect(child.size).toBe(100);
    expect(child.digest()).toEqual(buildDigest(lines(child)));
    expect(parent.has('joiner.example')).toBe(false);
    expect(parent.has(simServerId(3))).toBe(true);
    expect(parent.digest()).toEqual(before);
    expect(() => parent.set(simAnnouncement('x.example', T0))).toThrow('frozen');
  });

  it('samples every server, and only held ones', () => {
    const table = new GossipTable(entries(20));
    const rng = seededRng(3);
    const seen = new Set(Array.from({ length: 2_000 }, () => table.sample(rng)));
    expect(seen).toEqual(new Set(table.keys()));
    expect(() => new GossipTable().sample(rng)).toThrow();
  });
});

describe('exchange steps', () => {
  it('answers in_sync when the digests match and pushes nothing', () => {
    const a = new GossipTable(entries(50));
    const b = new GossipTable(entries(50));
    const opening = openExchange(a);
    const answer = answerGossip(b, opening);
    expect(answer).toEqual({ inSync: true });
    expect(planExchangePush(a, opening, answer)).toBeNull();
  });

  it('brings two tables to the same digest in one exchange (each side missing some)', () => {
    const a = new GossipTable([...entries(40), ...entries(5, 100)]);
    const b = new GossipTable([...entries(40), ...entries(7, 200)]);
    b.set(simAnnouncement(simServerId(1), T0 + 5_000_000)); // newer on b
    const opening = openExchange(a);
    const answer = answerGossip(b, opening);
    expect(answer.inSync).toBe(false);
    const plan = planExchangePush(a, opening, answer);
    expect(plan).not.toBeNull();
    expect(plan!.want).toContain(simServerId(1));
    expect(mergeEntries(b, plan!.push).sort()).toEqual(
      entries(5, 100)
        .map((e) => e.serverId)
        .sort(),
    );
    mergeEntries(a, answerPush(b, plan!.want));
    expect(a.digest().digestHash).toBe(b.digest().digestHash);
    expect(a.get(simServerId(1))!.timestampMs).toBe(T0 + 5_000_000);
  });

  it('merges newer announcements only', () => {
    const table = new GossipTable(entries(3));
    const older = simAnnouncement(simServerId(1), T0 - 1000);
    const newer = simAnnouncement(simServerId(1), T0 + 60_000);
    expect(mergeEntries(table, [older])).toEqual([]);
    expect(mergeEntries(table, [newer, newer])).toEqual([simServerId(1)]);
  });
});
