import { hash } from 'node:crypto';

export const DIGEST_BUCKETS = 64;

/** Lowercase hex SHA-256 of a UTF-8 string; one-shot `hash()` is half the cost of createHash here. */
function sha256Hex(data: string): string {
  return hash('sha256', data, 'hex');
}

/**
 * How many server_id → bucket results `bucketOf` remembers. A daemon (or a simulator of
 * thousands of them) looks up every entry of its table several times per exchange; remote
 * digests can name ids we never hold, so the memo is bounded: when full it starts over.
 */
const BUCKET_MEMO_LIMIT = 200_000;
const bucketMemo = new Map<string, number>();

/** Bucket of a server id: first byte of SHA-256(server_id, UTF-8) mod 64. */
export function bucketOf(serverId: string): number {
  let bucket = bucketMemo.get(serverId);
  if (bucket === undefined) {
    if (bucketMemo.size >= BUCKET_MEMO_LIMIT) bucketMemo.clear();
    bucket = parseInt(sha256Hex(serverId).slice(0, 2), 16) % DIGEST_BUCKETS;
    bucketMemo.set(serverId, bucket);
  }
  return bucket;
}

/** The hash of one bucket: SHA-256 of its `server_id \t timestamp \n` lines sorted by server id. */
export function bucketHash(entries: { server_id: string; timestamp: string }[]): string {
  // Code-unit order, like every other sort in the protocol (never locale order).
  const sorted = [...entries].sort((a, b) =>
    a.server_id < b.server_id ? -1 : a.server_id > b.server_id ? 1 : 0,
  );
  return sha256Hex(sorted.map((e) => `${e.server_id}\t${e.timestamp}\n`).join(''));
}

/**
 * The 64 bucket hashes: SHA-256 of `server_id \t timestamp \n` lines sorted by server id.
 * Timestamps must be exactly as signed in each announcement, or two servers holding the same
 * data would disagree.
 */
export function computeBucketHashes(
  entries: Iterable<{ server_id: string; timestamp: string }>,
): string[] {
  const buckets: { server_id: string; timestamp: string }[][] = Array.from(
    { length: DIGEST_BUCKETS },
    () => [],
  );
  for (const entry of entries) buckets[bucketOf(entry.server_id)].push(entry);
  return buckets.map(bucketHash);
}

/** SHA-256 of the 64 lowercase hex bucket hashes concatenated in bucket order. */
export function computeDigestHash(bucketHashes: string[]): string {
  return sha256Hex(bucketHashes.join(''));
}

/** Indices of the buckets whose hashes differ (a missing hash counts as different). */
export function differingBuckets(a: string[], b: string[]): number[] {
  const result: number[] = [];
  for (let i = 0; i < DIGEST_BUCKETS; i++) {
    if (a[i] === undefined || a[i] !== b[i]) result.push(i);
  }
  return result;
}
