import {
  addRotationSignature,
  fingerprint,
  formatProtocolTimestamp,
  newGossipId,
  newQueryId,
  parsePublicKey,
  signObject,
  verifyObjectSignature,
} from '@pager/protocol';
import { RunningService, buildOpenApiDocument } from '@pager/server-kit';
import {
  call as callUrl,
  dropTestSchema,
  naughtyStrings,
  signedTestAnnouncement,
  vectorKey,
} from '@pager/testing';
import { KeyObject, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DiscoveryConfig } from './config/discovery-config';
import { discoveryService } from './discovery.service-definition';
import { startTestDaemon } from './test-daemon';

const MIRAH = vectorKey('mirah.example.com');
const ROTATED = vectorKey('mirah.example.com (rotated)');
const mirahKey = MIRAH.privateKey;
const rotatedKey = ROTATED.privateKey;
const schema = `it_http_${randomBytes(5).toString('hex')}`;
const SELF = 'daemon.test';

let service: RunningService<DiscoveryConfig>;
let base: string;

/** The shared `call` against this daemon. */
const call = (method: string, path: string, body?: unknown) => callUrl(base, method, path, body);

const now = () => formatProtocolTimestamp(Date.now());

/** A fresh mirah announcement with loopback endpoints (the daemon runs in development mode). */
function mirahAnnouncement(key = mirahKey, publicKey = MIRAH.public_key): Record<string, unknown> {
  return signedTestAnnouncement(
    'mirah.example.com',
    { public_key: publicKey, privateKey: key },
    { capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] } },
  );
}

function gossip(overrides: Record<string, unknown> = {}, key = mirahKey): Record<string, unknown> {
  return signObject(
    {
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from: 'mirah.example.com',
      timestamp: now(),
      digest_hash: 'a'.repeat(64),
      bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
      announcements: [mirahAnnouncement()],
      ...overrides,
    },
    key,
  );
}

function query(overrides: Record<string, unknown> = {}, key = mirahKey): Record<string, unknown> {
  return signObject(
    {
      version: '1.0',
      type: 'query',
      query_id: newQueryId(),
      domain: 'unknown-domain.example',
      requester: 'mirah.example.com',
      from: 'mirah.example.com',
      max_hops: 1,
      timestamp: now(),
      ...overrides,
    },
    key,
  );
}

beforeAll(async () => {
  ({ service, base } = await startTestDaemon(SELF, schema));
}, 60_000);

afterAll(async () => {
  await service?.close();
  await dropTestSchema(schema);
});

describe('GET /docs', () => {
  it('serves the OpenAPI document that docs/api.md is rendered from (npm run docs:api)', async () => {
    const { status, body } = await call('GET', '/docs');
    expect(status).toBe(200);
    expect(body.paths).toEqual((await buildOpenApiDocument(discoveryService)).paths);
  });
});

describe('GET /discovery/announcement', () => {
  it('serves the own announcement, signed with the server key', async () => {
    const { status, body } = await call('GET', '/discovery/announcement');
    expect(status).toBe(200);
    expect(body.server_id).toBe(SELF);
    expect(verifyObjectSignature(body, parsePublicKey(body.public_key))).toBe(true);
  });
});

describe('POST /discovery/gossip', () => {
  it('refuses malformed JSON with invalid_json', async () => {
    expect((await call('POST', '/discovery/gossip', '{"type": "gossip",')).body.error).toBe(
      'invalid_json',
    );
  });

  it('refuses wrong member types with validation_failed', async () => {
    const { status, body } = await call('POST', '/discovery/gossip', {
      ...gossip(),
      bucket_hashes: 'no',
    });
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });

  it('refuses an unknown envelope type with validation_failed', async () => {
    const { status, body } = await call(
      'POST',
      '/discovery/gossip',
      gossip({ type: 'gossip_reply' }),
    );
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });

  it('refuses version 2.0 with unsupported_version', async () => {
    const { status, body } = await call('POST', '/discovery/gossip', gossip({ version: '2.0' }));
    expect([status, body.error]).toEqual([400, 'unsupported_version']);
  });

  it.each([
    ['another type', { version: '2.0', type: 'gossip_v2', frames: [1, 2] }],
    ['no type and no members of 1.0', { version: '2.0', payload: 'x' }],
  ])(
    'refuses a 2.0 envelope with %s with unsupported_version (version before schema)',
    async (_what, envelope) => {
      const { status, body } = await call('POST', '/discovery/gossip', envelope);
      expect([status, body.error]).toEqual([400, 'unsupported_version']);
    },
  );

  it.each([
    ['a missing version', { version: undefined }],
    ['a numeric version', { version: 2 }],
  ])('refuses an envelope with %s with validation_failed', async (_what, overrides) => {
    const { status, body } = await call('POST', '/discovery/gossip', {
      ...gossip(),
      ...overrides,
    });
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });

  it('refuses a body over 4 MiB with payload_too_large', async () => {
    const big = JSON.stringify({ ...gossip(), padding: 'x'.repeat(4 * 1024 * 1024 + 10) });
    const { status, body } = await call('POST', '/discovery/gossip', big);
    expect([status, body?.error]).toEqual([413, 'payload_too_large']);
  });

  it('refuses an unknown server without its announcement with unknown_server', async () => {
    const { status, body } = await call(
      'POST',
      '/discovery/gossip',
      gossip({ from: 'stranger.example', announcements: [] }),
    );
    expect([status, body.error]).toEqual([401, 'unknown_server']);
  });

  it('refuses a bad signature with signature_invalid', async () => {
    const tampered = { ...gossip(), digest_hash: 'c'.repeat(64) };
    const { status, body } = await call('POST', '/discovery/gossip', tampered);
    expect([status, body.error]).toEqual([401, 'signature_invalid']);
  });

  it('refuses a stale timestamp with clock_skew', async () => {
    const stale = gossip({ timestamp: formatProtocolTimestamp(Date.now() - 10 * 60_000) });
    const { status, body } = await call('POST', '/discovery/gossip', stale);
    expect([status, body.error]).toEqual([400, 'clock_skew']);
  });

  it('answers a valid gossip with a signed reply and stores the sender', async () => {
    const envelope = gossip();
    const { status, body } = await call('POST', '/discovery/gossip', envelope);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      type: 'gossip_reply',
      gossip_id: envelope['gossip_id'],
      from: SELF,
      in_sync: false,
    });
    const announcement = await call('GET', '/discovery/announcement');
    expect(verifyObjectSignature(body, parsePublicKey(announcement.body.public_key))).toBe(true);
    const peers = await call('GET', '/api/v1/peers');
    expect(peers.body.peers.map((p: { server_id: string }) => p.server_id)).toContain(
      'mirah.example.com',
    );
  });

  it('refuses a push for an unknown gossip_id with validation_failed', async () => {
    const push = signObject(
      {
        version: '1.0',
        type: 'gossip_push',
        gossip_id: newGossipId(),
        from: 'mirah.example.com',
        timestamp: now(),
        announcements: [],
        want: [],
      },
      mirahKey,
    );
    const { status, body } = await call('POST', '/discovery/gossip', push);
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });

  it('answers the push of an open exchange with the wanted announcements', async () => {
    const envelope = gossip();
    const reply = await call('POST', '/discovery/gossip', envelope);
    const push = signObject(
      {
        version: '1.0',
        type: 'gossip_push',
        gossip_id: envelope['gossip_id'],
        from: 'mirah.example.com',
        timestamp: now(),
        announcements: [],
        want: [SELF],
      },
      mirahKey,
    );
    const { status, body } = await call('POST', '/discovery/gossip', push);
    expect(reply.status).toBe(200);
    expect(status).toBe(200);
    expect(body.type).toBe('gossip_push_reply');
    expect(body.announcements.map((a: { server_id: string }) => a.server_id)).toEqual([SELF]);
  });

  it('refuses a key other than the pinned one with key_mismatch', async () => {
    const envelope = gossip(
      { announcements: [mirahAnnouncement(rotatedKey, ROTATED.public_key)] },
      rotatedKey,
    );
    const { status, body } = await call('POST', '/discovery/gossip', envelope);
    expect([status, body.error]).toEqual([401, 'key_mismatch']);
  });
});

describe('POST /discovery/query', () => {
  it('refuses malformed JSON with invalid_json', async () => {
    expect((await call('POST', '/discovery/query', 'nope')).body.error).toBe('invalid_json');
  });

  it('refuses wrong types with validation_failed', async () => {
    const { status, body } = await call('POST', '/discovery/query', {
      ...query(),
      max_hops: 'five',
    });
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });

  it('refuses version 2.0 with unsupported_version', async () => {
    const { status, body } = await call('POST', '/discovery/query', query({ version: '2.0' }));
    expect([status, body.error]).toEqual([400, 'unsupported_version']);
  });

  it('refuses a 2.0 query of another shape with unsupported_version (version before schema)', async () => {
    const { status, body } = await call('POST', '/discovery/query', {
      version: '2.0',
      lookup: { names: ['other.example'] },
    });
    expect([status, body.error]).toEqual([400, 'unsupported_version']);
  });

  it('refuses a query without a version with validation_failed', async () => {
    const { status, body } = await call('POST', '/discovery/query', {
      ...query(),
      version: undefined,
    });
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });

  it('refuses a body over 64 KiB with payload_too_large', async () => {
    const big = JSON.stringify({ ...query(), padding: 'x'.repeat(65 * 1024) });
    expect((await call('POST', '/discovery/query', big)).status).toBe(413);
  });

  it('refuses a sender whose key is unknown with unknown_server', async () => {
    const { status, body } = await call(
      'POST',
      '/discovery/query',
      query({ from: 'stranger.example' }),
    );
    expect([status, body.error]).toEqual([401, 'unknown_server']);
  });

  it('refuses a bad signature with signature_invalid', async () => {
    const { status, body } = await call('POST', '/discovery/query', {
      ...query(),
      domain: 'other.example',
    });
    expect([status, body.error]).toEqual([401, 'signature_invalid']);
  });

  it('refuses a stale timestamp with clock_skew', async () => {
    const stale = query({ timestamp: formatProtocolTimestamp(Date.now() - 10 * 60_000) });
    const { status, body } = await call('POST', '/discovery/query', stale);
    expect([status, body.error]).toEqual([400, 'clock_skew']);
  });

  it('answers a query for itself with its announcement', async () => {
    const q = query({ domain: SELF });
    const { status, body } = await call('POST', '/discovery/query', q);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      query_id: q['query_id'],
      found: true,
      announcement: { server_id: SELF },
    });
  });

  it('refuses a domain that is not a server id with 400 validation_failed (schema, before the sender)', async () => {
    for (const domain of ['Bad Domain!', 'UPPER.example', '', 'a..b', '127.1']) {
      const { status, body } = await call('POST', '/discovery/query', query({ domain }));
      expect([domain, status, body.error]).toEqual([domain, 400, 'validation_failed']);
    }
    const stranger = query({ domain: 'Bad Domain!', from: 'stranger.example' });
    expect((await call('POST', '/discovery/query', stranger)).body.error).toBe('validation_failed');
  });

  it('answers found: false for a domain it cannot resolve', async () => {
    const q = query();
    expect((await call('POST', '/discovery/query', q)).body).toEqual({
      query_id: q['query_id'],
      found: false,
    });
  });
});

describe('internal API', () => {
  it('routes its own domain as self and a known one from the cache', async () => {
    expect((await call('POST', `/api/v1/route/${SELF}`)).body.source).toBe('self');
    const cached = await call('POST', '/api/v1/route/mirah.example.com');
    expect(cached.body).toMatchObject({
      source: 'cache',
      server_id: 'mirah.example.com',
      fingerprint: MIRAH.fingerprint,
    });
  });

  it('answers 404 domain_not_found for a domain nobody knows', async () => {
    const { status, body } = await call('POST', '/api/v1/route/nobody.example');
    expect([status, body.error]).toEqual([404, 'domain_not_found']);
  });

  it('blocks, refuses routes to and envelopes from a blocked server, and unblocks', async () => {
    expect(
      (await call('PUT', '/api/v1/blocklist/mirah.example.com', { reason: 'test' })).status,
    ).toBe(200);
    expect((await call('POST', '/api/v1/route/mirah.example.com')).status).toBe(403);
    expect((await call('POST', '/discovery/gossip', gossip())).body.error).toBe('blocked');
    const peers = await call('GET', '/api/v1/peers');
    expect(
      peers.body.peers.find((p: { server_id: string }) => p.server_id === 'mirah.example.com'),
    ).toMatchObject({ blocked: true });
    expect((await call('GET', '/api/v1/blocklist')).body.blocked[0]).toMatchObject({
      server_id: 'mirah.example.com',
      reason: 'test',
    });
    expect((await call('DELETE', '/api/v1/blocklist/mirah.example.com')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/blocklist/mirah.example.com')).status).toBe(404);
  });

  it('reports and reads reputation', async () => {
    const report = { server_id: 'mirah.example.com', reason: 'spam', details: 'x' };
    expect((await call('POST', '/api/v1/reputation/report', report)).status).toBe(201);
    const { body } = await call('GET', '/api/v1/reputation/mirah.example.com');
    // The key_mismatch above was a key conflict of mirah's (-20 each), the report -5.
    expect(body).toMatchObject({
      server_id: 'mirah.example.com',
      reports: 1,
      key_conflicts: 1,
      score: 75,
      blocked: false,
    });
    expect((await call('GET', '/api/v1/reputation/never-seen.example')).status).toBe(404);
  });

  it('counts rate_limit_violation reports in rate_limit_violations (-2 each), not in reports', async () => {
    const report = (reason: string) =>
      call('POST', '/api/v1/reputation/report', {
        server_id: 'flooder.example.com',
        reason,
        details: 'messages per hour exceeded',
      });
    expect((await report('rate_limit_violation')).status).toBe(201);
    expect((await report('rate_limit_violation')).status).toBe(201);
    expect((await report('spam')).status).toBe(201);
    const { status, body } = await call('GET', '/api/v1/reputation/flooder.example.com');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      server_id: 'flooder.example.com',
      reports: 1,
      rate_limit_violations: 2,
      key_conflicts: 0,
      score: 100 - 5 - 2 * 2,
      blocked: false,
    });
  });

  it('forgets a pin, then 404s', async () => {
    expect((await call('DELETE', '/api/v1/pins/mirah.example.com')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/pins/mirah.example.com')).status).toBe(404);
  });

  it('pages GET /api/v1/peers with limit and cursor, and filters it', async () => {
    const all = await call('GET', '/api/v1/peers');
    expect(all.status).toBe(200);
    expect(all.body.next_cursor).toBeNull();
    const ids: string[] = all.body.peers.map((p: { server_id: string }) => p.server_id);
    expect(ids.length).toBeGreaterThan(0);
    const walked: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page <= ids.length; page++) {
      const query: string = cursor === null ? '?limit=1' : `?limit=1&cursor=${cursor}`;
      const { status, body } = await call('GET', `/api/v1/peers${query}`);
      expect(status).toBe(200);
      expect(body.peers.length).toBeLessThanOrEqual(1);
      walked.push(...body.peers.map((p: { server_id: string }) => p.server_id));
      cursor = body.next_cursor;
      if (cursor === null) break;
    }
    expect(walked).toEqual(ids);
    const blocked = await call('GET', '/api/v1/peers?blocked=true');
    expect(blocked.body.peers.every((p: { blocked: boolean }) => p.blocked)).toBe(true);
    const prefixed = await call('GET', `/api/v1/peers?prefix=${ids[0].slice(0, 3)}`);
    expect(prefixed.body.peers.map((p: { server_id: string }) => p.server_id)).toContain(ids[0]);
    for (const bad of [
      'limit=0',
      'limit=1001',
      'limit=x',
      'cursor=%%%',
      'cursor=abc',
      'blocked=1',
      'prefix=A*',
    ]) {
      const { status, body } = await call('GET', `/api/v1/peers?${bad}`);
      expect(status).toBe(400);
      expect(body.error).toBe('validation_failed');
    }
    for (const naughty of naughtyStrings().slice(0, 200)) {
      const { status } = await call('GET', `/api/v1/peers?cursor=${encodeURIComponent(naughty)}`);
      expect([200, 400]).toContain(status);
    }
  });

  it('imports a peer file entry by entry, naming each refused entry and why', async () => {
    const file = {
      version: '1.0',
      peers: [
        { server_id: 'peer-a.example', endpoints: { discovery: 'http://127.0.0.1:9/discovery' } },
        { server_id: SELF, endpoints: { discovery: 'http://127.0.0.1:9/discovery' } },
        { server_id: 'Bad Id', endpoints: { discovery: 'http://127.0.0.1:9/discovery' } },
        { server_id: 'meta.example', endpoints: { discovery: 'http://169.254.169.254/discovery' } },
        'not an entry',
        { server_id: 'no-endpoints.example' },
        { server_id: 'peer-b.example', endpoints: { discovery: 'http://127.0.0.2:9/discovery/' } },
        { server_id: 'peer-c.example', endpoints: { discovery: 'http://127.0.0.2:9/discovery' } },
      ],
    };
    const { status, body } = await call('POST', '/api/v1/peers/import', file);
    expect(status).toBe(200);
    expect(body).toMatchObject({ accepted: 2, rejected: 6 });
    expect(body.errors.map((e: { index: number; error: string }) => [e.index, e.error])).toEqual([
      [1, 'own_server'],
      [2, 'validation_failed'],
      [3, 'endpoint_policy'],
      [4, 'validation_failed'],
      [5, 'validation_failed'],
      [7, 'duplicate'],
    ]);
    expect(body.errors[0]).toMatchObject({ server_id: SELF });
    expect(body.errors[1].server_id).toBeUndefined();
    expect(body.errors[4]).toMatchObject({ server_id: 'no-endpoints.example' });
    for (const error of body.errors) expect(typeof error.message).toBe('string');
  });

  it('refuses with 400 a body that is not a peer file at all', async () => {
    for (const bad of [
      { version: '1.0', peers: 'x' },
      { version: '2.0', peers: [] },
      { peers: [] },
      [],
      { version: '1.0', peers: [], compiled_date: 'yesterday' },
      { version: '1.0', peers: Array.from({ length: 10_001 }, () => ({})) },
    ]) {
      const { status, body } = await call('POST', '/api/v1/peers/import', bad);
      expect(status).toBe(400);
      expect(['validation_failed', 'unsupported_version']).toContain(body.error);
    }
  });

  it('refuses naughty server_ids one by one and never fails the file', async () => {
    const peers = naughtyStrings().map((s) => ({
      server_id: s,
      endpoints: { discovery: 'http://127.0.0.3:9/discovery' },
    }));
    const { status, body } = await call('POST', '/api/v1/peers/import', { version: '1.0', peers });
    expect(status).toBe(200);
    expect(body.accepted + body.rejected).toBe(peers.length);
    expect(body.errors).toHaveLength(body.rejected);
  });

  it('imports 10,000 entries in one request', async () => {
    const peers = Array.from({ length: 10_000 }, (_, i) => ({
      server_id: `bulk${i}.example`,
      endpoints: { discovery: `http://127.0.0.4:${1000 + (i % 50_000)}/d${i}` },
    }));
    const { status, body } = await call('POST', '/api/v1/peers/import', { version: '1.0', peers });
    expect(status).toBe(200);
    expect(body).toMatchObject({ accepted: 10_000, rejected: 0, errors: [] });
  });

  it('exports a peer exchange file compiled by itself', async () => {
    const { body } = await call('GET', '/api/v1/peers/export');
    expect(body).toMatchObject({ version: '1.0', compiled_by: SELF });
    expect(body.peers.map((p: { server_id: string }) => p.server_id)).toContain(SELF);
  });

  it('re-signs and returns the announcement on POST /api/v1/announce', async () => {
    const before = (await call('GET', '/discovery/announcement')).body.timestamp;
    const { status, body } = await call('POST', '/api/v1/announce');
    expect(status).toBe(200);
    expect(body.timestamp > before).toBe(true);
    expect(fingerprint(body.public_key)).toHaveLength(64);
  });

  it('validates path parameters and bodies', async () => {
    expect((await call('DELETE', '/api/v1/pins/NOT%20VALID')).body.error).toBe('validation_failed');
    expect((await call('PUT', '/api/v1/blocklist/x.example', { reason: '' })).body.error).toBe(
      'validation_failed',
    );
    expect(
      (
        await call('POST', '/api/v1/reputation/report', {
          server_id: 'x.example',
          reason: 'Bad Reason',
        })
      ).status,
    ).toBe(400);
  });

  it('never answers 5xx to naughty strings as server id, domain or reason', async () => {
    const statuses = new Set<number>();
    for (const s of naughtyStrings()) {
      const id = encodeURIComponent(s);
      statuses.add((await call('POST', `/api/v1/route/${id}`)).status);
      statuses.add((await call('GET', `/api/v1/reputation/${id}`)).status);
      statuses.add((await call('DELETE', `/api/v1/pins/${id}`)).status);
      statuses.add(
        (await call('POST', '/api/v1/reputation/report', { server_id: s, reason: s, details: s }))
          .status,
      );
      statuses.add((await call('PUT', '/api/v1/blocklist/naughty.example', { reason: s })).status);
      statuses.add((await call('POST', '/discovery/query', query({ domain: s }))).status);
    }
    expect([...statuses].filter((status) => status >= 500)).toEqual([]);
  }, 120_000);
});

describe('POST /api/v1/route/{domain}/refresh (a rotation that has not reached us yet)', () => {
  /** A server of its own with two fresh keys, announced by gossip, then serving `served`. */
  async function rotatingServer(serverId: string) {
    const oldPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const newPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
    let served: Record<string, unknown> | undefined;
    let fetches = 0;
    const peer = createServer((req, res) => {
      fetches++;
      res.writeHead(served ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(served ?? { error: 'not_found', message: 'none' }));
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const port = (peer.address() as AddressInfo).port;
    const announcement = (publicKey: string) => ({
      version: '1.0',
      server_id: serverId,
      public_key: publicKey,
      capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] },
      endpoints: {
        federation: `http://127.0.0.1:${port}/federation`,
        discovery: `http://127.0.0.1:${port}/discovery`,
      },
      timestamp: now(),
    });
    const first = signObject(announcement(pem(oldPair.publicKey)), oldPair.privateKey);
    const gossiped = await call(
      'POST',
      '/discovery/gossip',
      gossip({ from: serverId, announcements: [first] }, oldPair.privateKey),
    );
    expect(gossiped.status).toBe(200);
    return {
      oldFingerprint: fingerprint(pem(oldPair.publicKey)),
      newFingerprint: fingerprint(pem(newPair.publicKey)),
      /** The announcement of the new key, with or without the old key's rotation signature. */
      rotate(withRotationSignature: boolean) {
        const signed = signObject(announcement(pem(newPair.publicKey)), newPair.privateKey);
        served = withRotationSignature ? addRotationSignature(signed, oldPair.privateKey) : signed;
      },
      fetches: () => fetches,
      close: () => new Promise<void>((resolve) => peer.close(() => resolve())),
    };
  }

  it('moves the pin when the fetched announcement carries a valid rotation_signature', async () => {
    const sut = await rotatingServer('rotating.example');
    try {
      const before = await call('POST', '/api/v1/route/rotating.example');
      expect(before.body.fingerprint).toBe(sut.oldFingerprint);
      sut.rotate(true);
      const after = await call('POST', '/api/v1/route/rotating.example/refresh');
      expect(after.status).toBe(200);
      expect(after.body.fingerprint).toBe(sut.newFingerprint);
      expect(sut.fetches()).toBe(1);
    } finally {
      await sut.close();
    }
  });

  it('keeps the pin when the new key comes without a rotation_signature', async () => {
    const sut = await rotatingServer('conflicting.example');
    try {
      sut.rotate(false);
      const after = await call('POST', '/api/v1/route/conflicting.example/refresh');
      expect(after.status).toBe(200);
      expect(after.body.fingerprint).toBe(sut.oldFingerprint);
      const reputation = await call('GET', '/api/v1/reputation/conflicting.example');
      expect(reputation.body.key_conflicts).toBeGreaterThanOrEqual(1);
    } finally {
      await sut.close();
    }
  });

  it('fetches a sender at most once a minute', async () => {
    const sut = await rotatingServer('hurried.example');
    try {
      await call('POST', '/api/v1/route/hurried.example/refresh');
      await call('POST', '/api/v1/route/hurried.example/refresh');
      await call('POST', '/api/v1/route/hurried.example/refresh');
      expect(sut.fetches()).toBe(1);
    } finally {
      await sut.close();
    }
  });

  it('answers domain_not_found for a server it knows nothing of, and 400 for a malformed one', async () => {
    expect((await call('POST', '/api/v1/route/never-seen.example/refresh')).body.error).toBe(
      'domain_not_found',
    );
    expect((await call('POST', '/api/v1/route/Bad%20Name!/refresh')).status).toBe(400);
  });
});
