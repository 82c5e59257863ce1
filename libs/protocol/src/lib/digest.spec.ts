import { createHash } from 'node:crypto';
import {
  DIGEST_BUCKETS,
  bucketHash,
  bucketOf,
  computeBucketHashes,
  computeDigestHash,
  differingBuckets,
} from './digest';

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

describe('digest', () => {
  it('hashes an empty store as 64 empty buckets', () => {
    const hashes = computeBucketHashes([]);
    expect(hashes).toHaveLength(DIGEST_BUCKETS);
    expect(new Set(hashes)).toEqual(new Set([EMPTY_SHA256]));
  });

  it('changes exactly one bucket when one timestamp changes', () => {
    const before = computeBucketHashes([
      { server_id: 'a.example', timestamp: '2025-10-15T10:00:00Z' },
      { server_id: 'b.example', timestamp: '2025-10-15T10:00:00Z' },
    ]);
    const after = computeBucketHashes([
      { server_id: 'a.example', timestamp: '2025-10-15T10:00:00Z' },
      { server_id: 'b.example', timestamp: '2025-10-15T11:00:00Z' },
    ]);
    expect(differingBuckets(before, after)).toHaveLength(1);
    expect(computeDigestHash(before)).not.toBe(computeDigestHash(after));
  });

  it('finds no differing buckets between equal digests', () => {
    const hashes = computeBucketHashes([
      { server_id: 'a.example', timestamp: '2025-10-15T10:00:00Z' },
    ]);
    expect(differingBuckets(hashes, [...hashes])).toEqual([]);
  });

  it('counts every bucket as differing against a malformed (short) list', () => {
    expect(differingBuckets(computeBucketHashes([]), [])).toHaveLength(DIGEST_BUCKETS);
  });

  it('gives the same bucket from memory as the first time, and agrees with SHA-256 by hand', () => {
    for (const id of ['mirah.example.com', 'a', 'b.example', 'ümlaut.example']) {
      const expected = createHash('sha256').update(id, 'utf8').digest()[0] % DIGEST_BUCKETS;
      expect(bucketOf(id)).toBe(expected);
      expect(bucketOf(id)).toBe(expected);
    }
  });

  it('hashes one bucket independently of the order of its entries', () => {
    const a = { server_id: 'a.example', timestamp: '2025-10-15T10:00:00Z' };
    const b = { server_id: 'b.example', timestamp: '2025-10-15T11:00:00Z' };
    expect(bucketHash([a, b])).toBe(bucketHash([b, a]));
    expect(bucketHash([])).toBe(EMPTY_SHA256);
  });
});
