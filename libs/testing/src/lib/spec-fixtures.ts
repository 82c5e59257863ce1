import { formatProtocolTimestamp, newGossipId, parsePrivateKey, signObject } from '@pager/protocol';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import * as path from 'node:path';
import { REPO_ROOT } from './server-process';

/**
 * The protocol's test fixtures, kept in the repository: test-vectors.json and blns.json
 * (libs/protocol/test/fixtures/README.md says where each came from).
 */
export const FIXTURES_DIR = path.resolve(REPO_ROOT, 'libs/protocol/test/fixtures');

export interface KeyVector {
  private_key_pkcs8: string;
  public_key: string;
  fingerprint: string;
}

/**
 * A wire object of the vectors: free-form JSON, used by the tests as announcements,
 * messages, acks... as they see fit.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export type VectorObject = any;

export interface TestVectors {
  description?: string;
  keys: Record<string, KeyVector>;
  canonical: { input: unknown; canonical: string }[];
  digest: {
    entries: Record<string, string>;
    bucket_of: Record<string, number>;
    bucket_hashes: string[];
    digest_hash: string;
  };
  valid: Record<string, { object: VectorObject; signer?: string; [more: string]: unknown }>;
  invalid: Record<
    string,
    { object: VectorObject; signer?: string; why?: string; [more: string]: unknown }
  >;
}

let cachedVectors: TestVectors | undefined;

/**
 * FIXTURES_DIR/test-vectors.json. The file is read once; each call returns a fresh copy so
 * that a test may change what it got without affecting the others.
 */
export function testVectors(): TestVectors {
  cachedVectors ??= JSON.parse(
    readFileSync(path.join(FIXTURES_DIR, 'test-vectors.json'), 'utf8'),
  ) as TestVectors;
  return structuredClone(cachedVectors);
}

/** A key of the vectors together with its parsed private key, for signing test objects. */
export function vectorKey(name: string): KeyVector & { privateKey: KeyObject } {
  const key = testVectors().keys[name];
  if (!key) throw new Error(`no key "${name}" in test-vectors.json`);
  return { ...key, privateKey: parsePrivateKey(key.private_key_pkcs8) };
}

/** The Big List of Naughty Strings (FIXTURES_DIR/blns.json). */
export function naughtyStrings(): string[] {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'blns.json'), 'utf8')) as string[];
}

/** What `signedTestAnnouncement` may change from its defaults. */
export interface TestAnnouncementOptions {
  /** Default `{ paging: true, supported_versions: ['1.0'] }`. */
  capabilities?: Record<string, unknown>;
  /** Default: now, in the protocol's timestamp format. */
  timestamp?: string;
  /** Default: the unroutable `http://127.0.0.1:9` (port 9, discard; daemons in development mode accept loopback). */
  origin?: string;
  /** Both endpoints as given (instead of `{origin}/federation` and `{origin}/discovery`). */
  endpoints?: { federation: string; discovery: string };
}

/**
 * A server announcement (protocol §2) of `serverId`, carrying `key.public_key` and signed by
 * `key.privateKey`; one key may sign for any number of invented server ids. Endpoints are
 * `{origin}/federation` and `{origin}/discovery`.
 */
export function signedTestAnnouncement(
  serverId: string,
  key: { public_key: string; privateKey: KeyObject },
  options: TestAnnouncementOptions = {},
): Record<string, unknown> {
  const origin = options.origin ?? 'http://127.0.0.1:9';
  return signObject(
    {
      version: '1.0',
      server_id: serverId,
      public_key: key.public_key,
      capabilities: options.capabilities ?? { paging: true, supported_versions: ['1.0'] },
      endpoints: options.endpoints ?? {
        federation: `${origin}/federation`,
        discovery: `${origin}/discovery`,
      },
      timestamp: options.timestamp ?? formatProtocolTimestamp(Date.now()),
    },
    key.privateKey,
  );
}

/**
 * A `gossip` envelope (protocol §3, step 1) from `from`, signed by `key`, carrying
 * `announcements` and the digest of an empty table (64 empty buckets): a daemon answers it
 * `in_sync: false` and takes the announcements as from any neighbour.
 */
export function signedTestGossip(
  from: string,
  key: { privateKey: KeyObject },
  announcements: unknown[],
): Record<string, unknown> {
  const empty = createHash('sha256').update('').digest('hex');
  return signObject(
    {
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from,
      timestamp: formatProtocolTimestamp(Date.now()),
      digest_hash: createHash('sha256').update(empty.repeat(64)).digest('hex'),
      bucket_hashes: Array.from({ length: 64 }, () => empty),
      announcements,
    },
    key.privateKey,
  );
}
