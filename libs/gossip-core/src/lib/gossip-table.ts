import { DIGEST_BUCKETS, bucketHash, bucketOf, computeDigestHash } from '@pager/protocol';
import type { Digest, PeerEntry } from './gossip-state';
import type { CandidateSource, Rng } from './neighbour-selection';

/** An overlay slot: the entry, or null for an entry of the base that was removed here. */
type Slot = PeerEntry | null;

/**
 * A peer table indexed by digest bucket (PROTOCOL.md section 3), with its 64 bucket hashes
 * and its digest hash cached and recomputed only for the buckets that changed.
 *
 * It is a `ReadonlyMap<string, PeerEntry>` (every pure step takes one), plus `set`/`delete`
 * for the owner, per-bucket iteration (`bucketEntries`) so that an exchange over a few
 * differing buckets never walks the whole table, and uniform sampling for neighbour choice.
 *
 * `fork()` returns a table that starts as a copy but shares this one's entries and cached
 * hashes until it diverges (copy-on-write per bucket): the parent is frozen from then on
 * (`set`/`delete` on it throw). A simulator gives 10,000 servers one converged table this
 * way at the cost of one; a daemon never needs it. Not safe for concurrent writers (there
 * are none in one event loop).
 */
export class GossipTable implements ReadonlyMap<string, PeerEntry> {
  private readonly base: GossipTable | null;
  /** Per bucket, the entries set or removed here (sparse: most buckets have none). */
  private readonly overlay: (Map<string, Slot> | undefined)[] = new Array(DIGEST_BUCKETS);
  /** Per bucket, the entries as a sorted array once asked for; undefined when stale. */
  private readonly bucketCache: (PeerEntry[] | undefined)[] = new Array(DIGEST_BUCKETS);
  private readonly hashCache: (string | undefined)[] = new Array(DIGEST_BUCKETS);
  private digestCache: Digest | null = null;
  private count: number;
  private frozen = false;

  /** @param entries initial entries (distinct server_ids; a later one wins) */
  constructor(entries: Iterable<PeerEntry> = [], base: GossipTable | null = null) {
    this.base = base;
    this.count = base?.size ?? 0;
    for (const entry of entries) this.set(entry);
  }

  /** A copy-on-write child; this table is frozen from now on. */
  fork(): GossipTable {
    this.frozen = true;
    return new GossipTable([], this);
  }

  get size(): number {
    return this.count;
  }

  get(serverId: string): PeerEntry | undefined {
    const slot = this.overlay[bucketOf(serverId)]?.get(serverId);
    if (slot !== undefined) return slot ?? undefined;
    return this.base?.get(serverId);
  }

  has(serverId: string): boolean {
    return this.get(serverId) !== undefined;
  }

  /** Inserts or replaces unconditionally (the caller applied `mergeDecision`). */
  set(entry: PeerEntry): this {
    this.assertWritable();
    const bucket = bucketOf(entry.serverId);
    if (!this.has(entry.serverId)) this.count++;
    this.slots(bucket).set(entry.serverId, entry);
    this.invalidate(bucket);
    return this;
  }

  /** Removes an entry; true when it was there. */
  delete(serverId: string): boolean {
    this.assertWritable();
    if (!this.has(serverId)) return false;
    const bucket = bucketOf(serverId);
    if (this.base?.has(serverId)) this.slots(bucket).set(serverId, null);
    else this.slots(bucket).delete(serverId);
    this.count--;
    this.invalidate(bucket);
    return true;
  }

  /** The entries of one bucket, sorted by server_id (code-unit order). Do not modify. */
  bucketEntries(bucket: number): readonly PeerEntry[] {
    const own = this.overlay[bucket];
    if (own === undefined || own.size === 0) return this.base?.bucketEntries(bucket) ?? [];
    let cached = this.bucketCache[bucket];
    if (cached === undefined) {
      const merged = new Map<string, PeerEntry>();
      for (const entry of this.base?.bucketEntries(bucket) ?? []) {
        merged.set(entry.serverId, entry);
      }
      for (const [id, slot] of own) {
        if (slot === null) merged.delete(id);
        else merged.set(id, slot);
      }
      cached = [...merged.values()].sort(byServerId);
      this.bucketCache[bucket] = cached;
    }
    return cached;
  }

  /** The hash of one bucket as PROTOCOL.md section 3 defines it. */
  bucketHash(bucket: number): string {
    const own = this.overlay[bucket];
    if ((own === undefined || own.size === 0) && this.base !== null) {
      return this.base.bucketHash(bucket);
    }
    let hash = this.hashCache[bucket];
    if (hash === undefined) {
      hash = bucketHash(
        this.bucketEntries(bucket).map((e) => ({ server_id: e.serverId, timestamp: e.timestamp })),
      );
      this.hashCache[bucket] = hash;
    }
    return hash;
  }

  /** The 64 bucket hashes and the digest hash; recomputes only the changed buckets. */
  digest(): Digest {
    if (this.digestCache === null) {
      const bucketHashes = Array.from({ length: DIGEST_BUCKETS }, (_, b) => this.bucketHash(b));
      this.digestCache = { bucketHashes, digestHash: computeDigestHash(bucketHashes) };
    }
    return this.digestCache;
  }

  /** Entries held in this table's own layer, not shared with its base (memory accounting). */
  privateSize(): number {
    let slots = 0;
    for (const own of this.overlay) slots += own?.size ?? 0;
    return slots;
  }

  /** A uniformly chosen server_id; throws on an empty table. */
  sample(rng: Rng): string {
    if (this.count === 0) throw new Error('sample of an empty table');
    let index = Math.min(this.count - 1, Math.floor(rng() * this.count));
    for (let b = 0; b < DIGEST_BUCKETS; b++) {
      const entries = this.bucketEntries(b);
      if (index < entries.length) return entries[index].serverId;
      index -= entries.length;
    }
    throw new Error('table size out of step with its buckets');
  }

  /** This table as the neighbour choice's candidate source (the caller excludes itself). */
  asCandidates(): CandidateSource {
    return {
      size: this.count,
      has: (id) => this.has(id),
      sample: (rng) => this.sample(rng),
      list: () => this.keys(),
    };
  }

  *entries(): MapIterator<[string, PeerEntry]> {
    for (const entry of this.values()) yield [entry.serverId, entry];
  }

  *keys(): MapIterator<string> {
    for (const entry of this.values()) yield entry.serverId;
  }

  *values(): MapIterator<PeerEntry> {
    for (let b = 0; b < DIGEST_BUCKETS; b++) yield* this.bucketEntries(b);
  }

  [Symbol.iterator](): MapIterator<[string, PeerEntry]> {
    return this.entries();
  }

  forEach(
    callback: (value: PeerEntry, key: string, map: ReadonlyMap<string, PeerEntry>) => void,
  ): void {
    for (const entry of this.values()) callback(entry, entry.serverId, this);
  }

  private slots(bucket: number): Map<string, Slot> {
    let own = this.overlay[bucket];
    if (own === undefined) {
      own = new Map();
      this.overlay[bucket] = own;
    }
    return own;
  }

  private invalidate(bucket: number): void {
    this.bucketCache[bucket] = undefined;
    this.hashCache[bucket] = undefined;
    this.digestCache = null;
  }

  private assertWritable(): void {
    if (this.frozen) throw new Error('a forked table is frozen');
  }
}

function byServerId(a: PeerEntry, b: PeerEntry): number {
  return a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0;
}
