import {
  bucketOf,
  computeBucketHashes,
  computeDigestHash,
  differingBuckets,
  MAX_ANNOUNCEMENTS_PER_ENVELOPE,
} from '@pager/protocol';
import {
  buildDigest,
  buildTableDigest,
  digestForBuckets,
  expire,
  oldestTimestampMs,
  MAX_WANT_PER_PUSH,
  mergeDecision,
  PeerEntry,
  PeerTable,
  peerEntryFromAnnouncement,
  planPush,
  selectWanted,
  updateTableDigest,
} from './gossip-state';

const T0 = Date.parse('2025-10-15T10:00:00Z');
const HOUR = 3_600_000;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function entry(serverId: string, timestampMs = T0, timestamp = iso(timestampMs)): PeerEntry {
  return {
    serverId,
    timestamp,
    timestampMs,
    announcement: { server_id: serverId, timestamp },
    receivedAtMs: timestampMs,
  };
}

function tableOf(...entries: PeerEntry[]): Map<string, PeerEntry> {
  return new Map(entries.map((e) => [e.serverId, e]));
}

/** `count` server ids that all fall into `bucket`. */
function idsInBucket(bucket: number, count: number, prefix = 'srv'): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) {
    const id = `${prefix}${i}.example.com`;
    if (bucketOf(id) === bucket) ids.push(id);
  }
  return ids;
}

function hashes(table: PeerTable): string[] {
  return buildTableDigest(table).bucketHashes;
}

describe('buildDigest', () => {
  it('gives 64 bucket hashes and a digest hash of 64 lowercase hex characters', () => {
    const digest = buildDigest([
      { server_id: 'mirah.example.com', timestamp: '2025-10-15T10:30:00Z' },
    ]);
    expect(digest.bucketHashes).toHaveLength(64);
    expect(digest.digestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same digest whatever order the entries come in', () => {
    const a = { server_id: 'a.example', timestamp: '2025-10-15T10:30:00Z' };
    const b = { server_id: 'b.example', timestamp: '2025-10-15T10:31:00Z' };
    expect(buildDigest([a, b])).toEqual(buildDigest([b, a]));
  });

  it('changes the digest when one timestamp changes', () => {
    const before = buildDigest([{ server_id: 'a.example', timestamp: '2025-10-15T10:30:00Z' }]);
    const after = buildDigest([{ server_id: 'a.example', timestamp: '2025-10-15T10:30:01Z' }]);
    expect(after.digestHash).not.toBe(before.digestHash);
  });

  it('hashes the timestamp exactly as signed, so two spellings of one instant differ', () => {
    const short = buildDigest([{ server_id: 'a.example', timestamp: '2025-10-15T10:30:00Z' }]);
    const long = buildDigest([{ server_id: 'a.example', timestamp: '2025-10-15T10:30:00.000Z' }]);
    expect(long.digestHash).not.toBe(short.digestHash);
  });

  it.each([0, 1, 2, 65, 700])(
    'gives exactly what computeBucketHashes of @pager/protocol gives, for %i entries',
    (size) => {
      const entries = Array.from({ length: size }, (_, i) => ({
        // Mixed lengths, digits and non-ASCII ids exercise the code-unit sort and UTF-8.
        server_id: `${(i * 7919) % 1000}${i % 3 === 0 ? 'é' : ''}.node${i % 11}.example`,
        timestamp: iso(T0 + ((i * 104729) % 86_400) * 1000),
      }));
      const bucketHashes = computeBucketHashes(entries);
      expect(buildDigest(entries)).toEqual({
        bucketHashes,
        digestHash: computeDigestHash(bucketHashes),
      });
    },
  );

  it('over a peer table equals the digest over its server ids and timestamps', () => {
    const table = tableOf(entry('a.example'), entry('b.example', T0 + 1000));
    expect(buildTableDigest(table)).toEqual(
      buildDigest([
        { server_id: 'a.example', timestamp: iso(T0) },
        { server_id: 'b.example', timestamp: iso(T0 + 1000) },
      ]),
    );
  });
});

describe('updateTableDigest', () => {
  const base = tableOf(entry('a.example'), entry('b.example'), entry('c.example'));

  it('equals a full rebuild after an entry is replaced', () => {
    const changed = new Map(base).set('b.example', entry('b.example', T0 + HOUR));
    expect(updateTableDigest(changed, buildTableDigest(base), ['b.example'])).toEqual(
      buildTableDigest(changed),
    );
  });

  it('equals a full rebuild after entries are inserted and removed', () => {
    const changed = new Map(base).set('d.example', entry('d.example'));
    changed.delete('a.example');
    expect(updateTableDigest(changed, buildTableDigest(base), ['d.example', 'a.example'])).toEqual(
      buildTableDigest(changed),
    );
  });

  it('returns the previous digest when nothing changed', () => {
    const previous = buildTableDigest(base);
    expect(updateTableDigest(base, previous, [])).toBe(previous);
  });

  it('does not touch the previous digest', () => {
    const previous = buildTableDigest(base);
    const copy = structuredClone(previous);
    updateTableDigest(tableOf(), previous, ['a.example']);
    expect(previous).toEqual(copy);
  });
});

describe('peerEntryFromAnnouncement', () => {
  it('keeps the timestamp string as signed and parses it to milliseconds', () => {
    const announcement = { server_id: 'mirah.example.com', timestamp: '2025-10-15T10:30:00.5Z' };
    expect(peerEntryFromAnnouncement(announcement, 42)).toEqual({
      serverId: 'mirah.example.com',
      timestamp: '2025-10-15T10:30:00.5Z',
      timestampMs: Date.parse('2025-10-15T10:30:00.500Z'),
      announcement,
      receivedAtMs: 42,
    });
  });

  it('refuses an announcement without a valid server id', () => {
    expect(
      peerEntryFromAnnouncement({ server_id: 'Mirah.Example', timestamp: iso(T0) }, 0),
    ).toBeNull();
  });

  it('refuses an announcement whose timestamp is not a protocol timestamp', () => {
    const announcement = { server_id: 'mirah.example.com', timestamp: '2025-10-15 10:30:00' };
    expect(peerEntryFromAnnouncement(announcement, 0)).toBeNull();
  });
});

describe('digestForBuckets', () => {
  const [inA1, inA2] = idsInBucket(3, 2);
  const [inB] = idsInBucket(40, 1);
  const table = tableOf(entry(inA1), entry(inA2, T0 + 5000), entry(inB));

  it('maps every server id held in the given buckets to its timestamp as signed', () => {
    expect(digestForBuckets(table, [3])).toEqual({ [inA1]: iso(T0), [inA2]: iso(T0 + 5000) });
  });

  it('leaves out entries of the other buckets', () => {
    expect(Object.keys(digestForBuckets(table, [40]))).toEqual([inB]);
  });

  it('is empty when no bucket is asked for', () => {
    expect(digestForBuckets(table, [])).toEqual({});
  });
});

describe('planPush', () => {
  const [x1, x2, x3, x4] = idsInBucket(7, 4, 'x');
  const [other] = idsInBucket(20, 1, 'o');

  it('pushes and wants nothing when every bucket agrees', () => {
    const table = tableOf(entry(x1));
    const plan = planPush(table, hashes(table), hashes(table), {});
    expect(plan).toEqual({ push: [], want: [] });
  });

  it('pushes an entry of a differing bucket that the remote digest lacks', () => {
    const local = tableOf(entry(x1), entry(x2));
    const remote = tableOf(entry(x1));
    const plan = planPush(local, hashes(local), hashes(remote), digestForBuckets(remote, [7]));
    expect(plan.push.map((e) => e.serverId)).toEqual([x2]);
    expect(plan.want).toEqual([]);
  });

  it('pushes an entry newer than the one in the remote digest', () => {
    const local = tableOf(entry(x1, T0 + HOUR));
    const remote = tableOf(entry(x1, T0));
    const plan = planPush(local, hashes(local), hashes(remote), digestForBuckets(remote, [7]));
    expect(plan.push.map((e) => e.serverId)).toEqual([x1]);
    expect(plan.want).toEqual([]);
  });

  it('wants an entry of the remote digest that is missing locally', () => {
    const local = tableOf(entry(x1));
    const remote = tableOf(entry(x1), entry(x2));
    const plan = planPush(local, hashes(local), hashes(remote), digestForBuckets(remote, [7]));
    expect(plan.want).toEqual([x2]);
    expect(plan.push).toEqual([]);
  });

  it('wants an entry that is older locally than in the remote digest', () => {
    const local = tableOf(entry(x1, T0));
    const remote = tableOf(entry(x1, T0 + HOUR));
    const plan = planPush(local, hashes(local), hashes(remote), digestForBuckets(remote, [7]));
    expect(plan.want).toEqual([x1]);
    expect(plan.push).toEqual([]);
  });

  it('neither pushes nor wants an entry whose two timestamps are the same instant spelt differently', () => {
    const local = tableOf(entry(x1, T0, '2025-10-15T10:00:00Z'));
    const remote = tableOf(entry(x1, T0, '2025-10-15T10:00:00.000Z'));
    const plan = planPush(local, hashes(local), hashes(remote), digestForBuckets(remote, [7]));
    expect(plan).toEqual({ push: [], want: [] });
  });

  it('pushes nothing from buckets whose hashes agree, though the digest does not list them', () => {
    const local = tableOf(entry(x1), entry(other));
    const remote = tableOf(entry(other));
    const plan = planPush(local, hashes(local), hashes(remote), digestForBuckets(remote, [7]));
    expect(plan.push.map((e) => e.serverId)).toEqual([x1]);
  });

  it('never wants an id of the remote digest outside the differing buckets', () => {
    const local = tableOf(entry(x1));
    const remote = tableOf(entry(x2));
    const plan = planPush(local, hashes(local), hashes(remote), {
      ...digestForBuckets(remote, [7]),
      [other]: iso(T0),
    });
    expect(plan.want).toEqual([x2]);
  });

  it('never wants an id that is not a valid server id', () => {
    const local = tableOf(entry(x1));
    const remote = tableOf(entry(x2));
    const plan = planPush(local, hashes(local), hashes(remote), {
      'NOT A SERVER': iso(T0),
    });
    expect(plan.want).toEqual([]);
  });

  it('pushes ours when the digest timestamp for it does not parse, and does not want theirs', () => {
    const local = tableOf(entry(x1));
    const remote = tableOf(entry(x2));
    const plan = planPush(local, hashes(local), hashes(remote), { [x1]: 'yesterday' });
    expect(plan).toEqual({ push: [local.get(x1)], want: [] });
  });

  it('wants an id it lacks even if the digest timestamp does not parse (the announcement is checked on arrival)', () => {
    const local = tableOf(entry(x1));
    const remote = tableOf(entry(x2));
    const plan = planPush(local, hashes(local), hashes(remote), { [x1]: iso(T0), [x2]: 'soon' });
    expect(plan.want).toEqual([x2]);
  });

  it('pushes at most `limit` entries, the first ones in server id order', () => {
    const local = tableOf(entry(x3), entry(x1), entry(x4), entry(x2));
    const remote = tableOf();
    const plan = planPush(local, hashes(local), hashes(remote), {}, 2);
    expect(plan.push.map((e) => e.serverId)).toEqual([x1, x2, x3, x4].sort().slice(0, 2));
  });

  it('pushes at most 500 entries by default', () => {
    const many = tableOf(
      ...Array.from({ length: 600 }, (_, i) => entry(`p${String(i).padStart(4, '0')}.example`)),
    );
    const plan = planPush(many, hashes(many), hashes(tableOf()), {});
    expect(plan.push).toHaveLength(MAX_ANNOUNCEMENTS_PER_ENVELOPE);
  });

  it('wants at most `wantLimit` ids, the first ones in server id order', () => {
    const remote = tableOf(entry(x1), entry(x2), entry(x3));
    const local = tableOf();
    const plan = planPush(
      local,
      hashes(local),
      hashes(remote),
      digestForBuckets(remote, [7]),
      500,
      2,
    );
    expect(plan.want).toEqual([x1, x2, x3].sort().slice(0, 2));
  });

  it('wants at most 10,000 ids by default', () => {
    const digest: Record<string, string> = {};
    for (let i = 0; i <= MAX_WANT_PER_PUSH; i++) digest[`w${i}.example`] = iso(T0);
    const plan = planPush(tableOf(), hashes(tableOf()), [], digest);
    expect(plan.want).toHaveLength(10_000);
  });

  it('treats remote bucket hashes that are not 64 as differing everywhere', () => {
    const local = tableOf(entry(x1), entry(other));
    const plan = planPush(local, hashes(local), [], {});
    expect(plan.push.map((e) => e.serverId).sort()).toEqual([x1, other].sort());
  });
});

describe('selectWanted', () => {
  const table = tableOf(entry('a.example'), entry('b.example'), entry('c.example'));

  it('returns the wanted entries held locally, in the order asked', () => {
    expect(selectWanted(table, ['c.example', 'a.example']).map((e) => e.serverId)).toEqual([
      'c.example',
      'a.example',
    ]);
  });

  it('skips ids it does not hold', () => {
    expect(selectWanted(table, ['zzz.example', 'b.example']).map((e) => e.serverId)).toEqual([
      'b.example',
    ]);
  });

  it('returns an entry asked for twice only once', () => {
    expect(selectWanted(table, ['a.example', 'a.example'])).toHaveLength(1);
  });

  it('returns at most `limit` entries', () => {
    expect(selectWanted(table, ['a.example', 'b.example', 'c.example'], 2)).toHaveLength(2);
  });

  it('returns at most 500 entries by default', () => {
    const many = tableOf(...Array.from({ length: 501 }, (_, i) => entry(`w${i}.example`)));
    expect(selectWanted(many, [...many.keys()])).toHaveLength(500);
  });
});

describe('mergeDecision', () => {
  it('inserts an announcement of an unknown server', () => {
    expect(mergeDecision(undefined, T0)).toBe('insert');
  });

  it('replaces an entry with a newer announcement', () => {
    expect(mergeDecision(entry('a.example', T0), T0 + 1)).toBe('replace');
  });

  it('ignores an announcement with the same timestamp', () => {
    expect(mergeDecision(entry('a.example', T0), T0)).toBe('ignore');
  });

  it('ignores an older announcement', () => {
    expect(mergeDecision(entry('a.example', T0), T0 - 1)).toBe('ignore');
  });
});

describe('oldestTimestampMs', () => {
  it('is the earliest announcement timestamp of the other entries', () => {
    const table = tableOf(entry('b.example', T0 + 5), entry('a.example', T0 + 2));
    expect(oldestTimestampMs(table, 'me.example')).toBe(T0 + 2);
  });

  it('leaves out the own entry', () => {
    const table = tableOf(entry('me.example', T0 - HOUR), entry('a.example', T0));
    expect(oldestTimestampMs(table, 'me.example')).toBe(T0);
  });

  it('is +Infinity for a table with only the own entry', () => {
    expect(oldestTimestampMs(tableOf(entry('me.example', T0)), 'me.example')).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});

describe('expire', () => {
  const TTL = 24 * HOUR;
  const now = T0 + TTL;

  it('drops entries whose announcement timestamp is older than the ttl', () => {
    const table = tableOf(entry('old.example', T0 - 1), entry('fresh.example', T0 + 1));
    expect(expire(table, now, TTL, 'me.example')).toEqual(['old.example']);
  });

  it('keeps an entry exactly at the ttl', () => {
    expect(expire(tableOf(entry('edge.example', T0)), now, TTL, 'me.example')).toEqual([]);
  });

  it('judges by the announcement timestamp, not by when it was received', () => {
    const stale = { ...entry('stale.example', T0 - HOUR), receivedAtMs: now };
    expect(expire(tableOf(stale), now, TTL, 'me.example')).toEqual(['stale.example']);
  });

  it('never drops the own entry', () => {
    expect(expire(tableOf(entry('me.example', T0 - 10 * TTL)), now, TTL, 'me.example')).toEqual([]);
  });

  it('lists the dropped ids in server id order', () => {
    const table = tableOf(entry('c.example', 0), entry('a.example', 0), entry('b.example', 0));
    expect(expire(table, now, TTL, 'me.example')).toEqual(['a.example', 'b.example', 'c.example']);
  });
});

describe('an exchange between two tables', () => {
  it('leaves both sides with the same digest after push and wanted reply are merged', () => {
    const a = tableOf(entry('a.example'), entry('shared.example', T0 + HOUR));
    const b = tableOf(entry('b.example'), entry('shared.example', T0));
    const aHashes = hashes(a);
    const bHashes = hashes(b);
    const reply = digestForBuckets(b, differingBuckets(aHashes, bHashes));
    const plan = planPush(a, aHashes, bHashes, reply);
    for (const e of plan.push)
      if (mergeDecision(b.get(e.serverId), e.timestampMs) !== 'ignore') b.set(e.serverId, e);
    for (const e of selectWanted(b, plan.want))
      if (mergeDecision(a.get(e.serverId), e.timestampMs) !== 'ignore') a.set(e.serverId, e);
    expect(buildTableDigest(a)).toEqual(buildTableDigest(b));
    expect(b.get('shared.example')!.timestampMs).toBe(T0 + HOUR);
  });
});
