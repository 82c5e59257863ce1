import { createHash } from 'node:crypto';

export const DIGEST_BUCKETS = 64;

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Bucket of a server id: first byte of SHA-256(server_id, UTF-8) mod 64. */
export function bucketOf(serverId: string): number {
  return sha256(Buffer.from(serverId, 'utf8'))[0] % DIGEST_BUCKETS;
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
  return buckets.map((bucket) => {
    // Code-unit order, like every other sort in the protocol (never locale order).
    bucket.sort((a, b) => (a.server_id < b.server_id ? -1 : a.server_id > b.server_id ? 1 : 0));
    const lines = bucket.map((e) => `${e.server_id}\t${e.timestamp}\n`).join('');
    return sha256(Buffer.from(lines, 'utf8')).toString('hex');
  });
}

/** SHA-256 of the 64 lowercase hex bucket hashes concatenated in bucket order. */
export function computeDigestHash(bucketHashes: string[]): string {
  return sha256(Buffer.from(bucketHashes.join(''), 'utf8')).toString('hex');
}

/** Indices of the buckets whose hashes differ (a missing hash counts as different). */
export function differingBuckets(a: string[], b: string[]): number[] {
  const result: number[] = [];
  for (let i = 0; i < DIGEST_BUCKETS; i++) {
    if (a[i] === undefined || a[i] !== b[i]) result.push(i);
  }
  return result;
}
