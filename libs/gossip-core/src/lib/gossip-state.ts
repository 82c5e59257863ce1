/**
 * The gossip data model and its anti-entropy decisions (docs/protocol.md §6 and §7).
 *
 * Pure functions over plain data: no I/O, no clock (time comes in as `nowMs`). The service
 * verifies each announcement (signature, pin, endpoint policy) before anything here sees it,
 * and passes in the table it may share: blocked servers' entries are neither hashed nor
 * passed on, so they must not be in the `table` given to these functions.
 */
import {
  DIGEST_BUCKETS,
  MAX_ANNOUNCEMENTS_PER_ENVELOPE,
  bucketHash,
  bucketOf,
  computeBucketHashes,
  computeDigestHash,
  differingBuckets,
  isValidServerId,
  parseProtocolTimestamp,
} from '@pager/protocol';
import { GossipTable } from './gossip-table';

/** One verified announcement as the daemon holds it. */
export interface PeerEntry {
  serverId: string;
  /** Exactly as signed: the digest hashes use this string, not a re-formatted one. */
  timestamp: string;
  /** `timestamp` parsed; ordering always compares these, never the strings. */
  timestampMs: number;
  /** The signed announcement as received, unknown members included. */
  announcement: Record<string, unknown>;
  receivedAtMs: number;
}

export type PeerTable = ReadonlyMap<string, PeerEntry>;

export interface Digest {
  bucketHashes: string[];
  digestHash: string;
}

export interface PushPlan {
  /** Entries for the `gossip_push` envelope, at most `limit`, in server_id order. */
  push: PeerEntry[];
  /** server_ids to ask for, in server_id order. */
  want: string[];
}

export type MergeDecision = 'insert' | 'replace' | 'ignore';

/**
 * Upper bound on the `want` list of one push. The responder answers at most
 * MAX_ANNOUNCEMENTS_PER_ENVELOPE of them; the rest are asked again in later rounds, once the
 * first ones have landed and their buckets agree. The bound only keeps the envelope (about
 * 30 bytes per id) far under the 4 MiB gossip body limit.
 */
export const MAX_WANT_PER_PUSH = 10_000;

type DigestLine = { server_id: string; timestamp: string };

/**
 * The entries of `table` in the given buckets: straight from the bucket index of a
 * `GossipTable` (cost proportional to those buckets), else a filtered walk of the table.
 */
export function* entriesInBuckets(
  table: PeerTable,
  buckets: readonly number[],
): Generator<PeerEntry> {
  if (table instanceof GossipTable) {
    for (const bucket of buckets) yield* table.bucketEntries(bucket);
    return;
  }
  const wanted = inBuckets(buckets);
  for (const [id, entry] of table) if (wanted(id)) yield entry;
}

/** Membership in a set of buckets; skips the lookups when every bucket is in it. */
function inBuckets(buckets: Iterable<number>): (serverId: string) => boolean {
  const set = new Set(buckets);
  if (set.size >= DIGEST_BUCKETS) return () => true;
  return (serverId) => set.has(bucketOf(serverId));
}

function digestOfBuckets(bucketHashes: string[]): Digest {
  return { bucketHashes, digestHash: computeDigestHash(bucketHashes) };
}

/** The digest of a set of entries with distinct server_ids, the server's own announcement included. */
export function buildDigest(entries: Iterable<DigestLine>): Digest {
  return digestOfBuckets(computeBucketHashes(entries));
}

function tableLines(table: PeerTable): Iterable<DigestLine> {
  return [...table.values()].map((entry) => ({
    server_id: entry.serverId,
    timestamp: entry.timestamp,
  }));
}

/** `buildDigest` over a peer table (the cached one of a `GossipTable`). */
export function buildTableDigest(table: PeerTable): Digest {
  if (table instanceof GossipTable) return table.digest();
  return buildDigest(tableLines(table));
}

/**
 * The table's digest from the previous one, rehashing only the buckets of the server_ids
 * inserted, replaced or removed since. Equal to `buildTableDigest(table)` when every change
 * is listed; a daemon that keeps its digest between exchanges pays for what changed only.
 */
export function updateTableDigest(
  table: PeerTable,
  previous: Digest,
  changedServerIds: Iterable<string>,
): Digest {
  const changed = new Map<number, DigestLine[]>();
  for (const id of changedServerIds) changed.set(bucketOf(id), []);
  if (changed.size === 0) return previous;
  for (const line of tableLines(table)) changed.get(bucketOf(line.server_id))?.push(line);
  const bucketHashes = [...previous.bucketHashes];
  for (const [bucket, lines] of changed) bucketHashes[bucket] = bucketHash(lines);
  return digestOfBuckets(bucketHashes);
}

/**
 * Turns a verified announcement into a table entry; null when it lacks a valid server_id or
 * timestamp (the validator should have refused it already: this is the last guard before
 * the table, whose ordering relies on `timestampMs`).
 */
export function peerEntryFromAnnouncement(
  announcement: Record<string, unknown>,
  receivedAtMs: number,
): PeerEntry | null {
  const serverId = announcement['server_id'];
  const timestamp = announcement['timestamp'];
  if (typeof serverId !== 'string' || !isValidServerId(serverId)) return null;
  if (typeof timestamp !== 'string') return null;
  const timestampMs = parseProtocolTimestamp(timestamp);
  if (timestampMs === null) return null;
  return { serverId, timestamp, timestampMs, announcement, receivedAtMs };
}

/**
 * The `digest` member of a `gossip_reply`: server_id → timestamp (as signed) of every entry
 * held in the given buckets, in table order (member order means nothing in JSON).
 */
export function digestForBuckets(table: PeerTable, buckets: number[]): Record<string, string> {
  const digest: Record<string, string> = {};
  for (const entry of entriesInBuckets(table, buckets)) digest[entry.serverId] = entry.timestamp;
  return digest;
}

/**
 * Step 2 of an exchange, on the initiator's side: what to push and what to ask for.
 *
 * `localBucketHashes` must be the hashes the initiator sent in step 1: the responder built
 * its `digest` from the buckets where *those* differ from its own, so using any later hashes
 * could take a bucket the digest does not cover for one the responder lacks entirely.
 *
 * Entries are compared by parsed timestamp; equal instants count as equal even when spelt
 * differently (`…:00Z` and `…:00.000Z`), so neither side pushes or wants them.
 * A digest value that is no valid timestamp counts as absent: we push ours, and ask for theirs
 * only if we hold none. Ids we lack are asked for without parsing their timestamps: the
 * announcements are verified on arrival anyway, and parsing a large digest cost the most.
 * Ids in the digest outside the differing buckets, or not valid server ids, are never
 * wanted: a responder cannot make us ask for arbitrary names.
 */
export function planPush(
  table: PeerTable,
  localBucketHashes: string[],
  remoteBucketHashes: string[],
  remoteDigest: Record<string, string>,
  limit: number = MAX_ANNOUNCEMENTS_PER_ENVELOPE,
  wantLimit: number = MAX_WANT_PER_PUSH,
): PushPlan {
  const differingList = differingBuckets(localBucketHashes, remoteBucketHashes);
  if (differingList.length === 0) return { push: [], want: [] };
  const differing = inBuckets(differingList);

  // Own members only: a parsed JSON object may carry keys like "__proto__" or "constructor".
  const remoteTimestampOf = (id: string): unknown =>
    Object.hasOwn(remoteDigest, id) ? remoteDigest[id] : undefined;

  const pushIds: string[] = [];
  for (const entry of entriesInBuckets(table, differingList)) {
    const id = entry.serverId;
    const remoteTimestamp = remoteTimestampOf(id);
    // Same string, same instant: the common case once two servers mostly agree, and it
    // spares parsing the timestamp.
    if (remoteTimestamp === entry.timestamp) continue;
    const remoteMs =
      typeof remoteTimestamp === 'string' ? parseProtocolTimestamp(remoteTimestamp) : null;
    if (remoteMs === null || entry.timestampMs > remoteMs) pushIds.push(id);
  }
  // Default sort compares UTF-16 code units, the protocol's order, without a JS callback.
  const push = pushIds
    .sort()
    .slice(0, limit)
    .map((id) => table.get(id) as PeerEntry);

  const want: string[] = [];
  for (const id of Object.keys(remoteDigest)) {
    const remoteTimestamp: unknown = remoteDigest[id];
    const local = table.get(id);
    if (local !== undefined) {
      if (local.timestamp === remoteTimestamp) continue;
      const remoteMs =
        typeof remoteTimestamp === 'string' ? parseProtocolTimestamp(remoteTimestamp) : null;
      if (remoteMs === null || local.timestampMs >= remoteMs) continue;
    }
    if (!isValidServerId(id) || !differing(id)) continue;
    want.push(id);
  }
  want.sort().splice(wantLimit);

  return { push, want };
}

/**
 * The `announcements` of a `gossip_push_reply`: the wanted entries we hold, in the order
 * asked, each once, at most `limit`. Unknown ids are skipped silently (we may have expired
 * them since the digest was sent).
 */
export function selectWanted(
  table: PeerTable,
  want: string[],
  limit: number = MAX_ANNOUNCEMENTS_PER_ENVELOPE,
): PeerEntry[] {
  const selected: PeerEntry[] = [];
  const seen = new Set<string>();
  for (const id of want) {
    if (selected.length >= limit) break;
    if (seen.has(id)) continue;
    seen.add(id);
    const entry = table.get(id);
    if (entry) selected.push(entry);
  }
  return selected;
}

/** Newer timestamp replaces older for the same server_id; equal or older is ignored. */
export function mergeDecision(
  existing: PeerEntry | undefined,
  incomingTimestampMs: number,
): MergeDecision {
  if (existing === undefined) return 'insert';
  return incomingTimestampMs > existing.timestampMs ? 'replace' : 'ignore';
}

/**
 * The earliest announcement timestamp (ms) among the entries other than `ownServerId`, or
 * +Infinity when there are none: `expire` can drop nothing before `oldest + ttlMs`, so a
 * cached table need not be scanned on every read (one scan of 10,000 entries per read was
 * a fifth of a steady round's CPU).
 */
export function oldestTimestampMs(table: PeerTable, ownServerId: string): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const entry of table.values()) {
    if (entry.serverId !== ownServerId && entry.timestampMs < oldest) oldest = entry.timestampMs;
  }
  return oldest;
}

/**
 * server_ids to drop: entries whose *announcement timestamp* is more than `ttlMs` before
 * `nowMs`. The signed timestamp, not when we received it, so a stale announcement
 * re-gossiped to us does not live on; our own entry is never dropped (the service refreshes
 * it). Sorted by server_id.
 */
export function expire(
  table: PeerTable,
  nowMs: number,
  ttlMs: number,
  ownServerId: string,
): string[] {
  const dropped: string[] = [];
  for (const entry of table.values()) {
    if (entry.serverId === ownServerId) continue;
    if (nowMs - entry.timestampMs > ttlMs) dropped.push(entry.serverId);
  }
  return dropped.sort();
}
