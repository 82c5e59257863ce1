import {
  addRotationSignature,
  fingerprint,
  formatProtocolTimestamp,
  newGossipId,
  signObject,
} from '@pager/protocol';
import { RunningService } from '@pager/server-kit';
import {
  call as callUrl,
  dropTestSchema,
  naughtyStrings,
  signedTestAnnouncement,
} from '@pager/testing';
import { KeyObject, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { DiscoveryConfig } from '../config/discovery-config';
import { startTestDaemon } from '../test-daemon';
import { PinStore } from './pin-store.service';

// Careful first contact (PIN_CONFIRMATIONS=2), rotations and the pin history, against the
// daemon in-process on real PostgreSQL, fed by signed gossip envelopes of real RSA keys.

const schema = `it_pins_${randomBytes(5).toString('hex')}`;
const SELF = 'daemon.test';
let service: RunningService<DiscoveryConfig>;
let base: string;
const dataDir = mkdtempSync(join(tmpdir(), 'discovery-pins-'));
const call = (method: string, path: string, body?: unknown) => callUrl(base, method, path, body);
const now = () => formatProtocolTimestamp(Date.now());

interface Server {
  id: string;
  key: KeyObject;
  pem: string;
  fingerprint: string;
}

function server(id: string): Server {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { id, key: pair.privateKey, pem, fingerprint: fingerprint(pem) };
}

/** `s`'s announcement signed by `signer` (default its own key), timestamp now. */
function announcementOf(s: Server, signer: Server = s): Record<string, unknown> {
  return signedTestAnnouncement(
    s.id,
    { public_key: signer.pem, privateKey: signer.key },
    { capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] } },
  );
}

/** A gossip envelope from `from` (signed with `signer`), carrying its own announcement and `relayed`. */
async function gossipFrom(
  from: Server,
  relayed: Record<string, unknown>[],
  own: Record<string, unknown> = announcementOf(from),
  signer: KeyObject = from.key,
) {
  const envelope = signObject(
    {
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from: from.id,
      timestamp: now(),
      digest_hash: 'a'.repeat(64),
      bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
      announcements: [own, ...relayed],
    },
    signer,
  );
  return call('POST', '/discovery/gossip', envelope);
}

async function start(): Promise<void> {
  ({ service, base } = await startTestDaemon(SELF, schema, {
    DATA_DIR: dataDir,
    PIN_CONFIRMATIONS: '2',
  }));
}

const neighbours = [server('n1.example'), server('n2.example'), server('n3.example')];
const [n1, n2, n3] = neighbours;

beforeAll(async () => {
  await start();
  // The three neighbours are pinned already, as the daemon's configured bootstrap servers
  // would be (trust anchors); then each one's own gossip stores its announcement.
  const pins = service.app.get(PinStore);
  for (const n of neighbours) {
    const decision = await pins.settle({
      serverId: n.id,
      fingerprint: n.fingerprint,
      publicKey: n.pem,
      path: 'direct',
      pathEstablished: true,
      required: 2,
      trustAnchor: true,
      announcement: announcementOf(n),
      timestampMs: Date.now(),
      rotationAgainst: () => 'absent',
    });
    expect(decision.decision.kind).toBe('pin');
    expect((await gossipFrom(n, [])).status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await service?.close();
  await dropTestSchema(schema);
});

const pinList = async () => (await call('GET', '/api/v1/pins')).body;
const pendingOf = async (id: string) =>
  (await pinList()).pending.find((p: { server_id: string }) => p.server_id === id);
const pinOf = async (id: string) =>
  (await pinList()).pins.find((p: { server_id: string }) => p.server_id === id);
const historyOf = async (id: string) => (await call('GET', `/api/v1/pins/${id}/history`)).body;
const keyConflicts = async (id: string) =>
  (await call('GET', `/api/v1/reputation/${id}`)).body.key_conflicts;

describe('careful first contact with PIN_CONFIRMATIONS=2', () => {
  const x = server('x.example');

  it('keeps a server relayed by one neighbour pending: not listed, not routable', async () => {
    expect((await gossipFrom(n1, [announcementOf(x)])).status).toBe(200);
    expect(await pendingOf(x.id)).toMatchObject({
      state: 'pending',
      keys: [{ fingerprint: x.fingerprint, paths: ['n1.example'] }],
    });
    expect(await pinOf(x.id)).toBeUndefined();
    const peers = (await call('GET', '/api/v1/peers')).body.peers;
    expect(peers.map((p: { server_id: string }) => p.server_id)).not.toContain(x.id);
    const route = await call('POST', `/api/v1/route/${x.id}`);
    expect([route.status, route.body.error]).toEqual([404, 'pin_pending']);
  });

  it('lists the pending server with GET /api/v1/peers?pin=pending, in the peers entry shape', async () => {
    const listed = await call('GET', '/api/v1/peers?pin=pending');
    expect(listed.status).toBe(200);
    expect(listed.body.peers).toEqual([
      {
        server_id: x.id,
        endpoints: announcementOf(x)['endpoints'],
        fingerprint: x.fingerprint,
        capabilities: announcementOf(x)['capabilities'],
        timestamp: expect.any(String),
        neighbor: false,
        blocked: false,
        score: expect.any(Number),
        pin: 'pending',
      },
    ]);
    expect(listed.body.next_cursor).toBeNull();
    expect((await call('GET', '/api/v1/peers?pin=pinned')).body.peers).toEqual(
      (await call('GET', '/api/v1/peers')).body.peers,
    );
    const bad = await call('GET', '/api/v1/peers?pin=maybe');
    expect([bad.status, bad.body.error]).toEqual([400, 'validation_failed']);
  });

  it('counts the same neighbour relaying twice once', async () => {
    expect((await gossipFrom(n1, [announcementOf(x)])).status).toBe(200);
    expect((await pendingOf(x.id)).keys).toEqual([
      { fingerprint: x.fingerprint, paths: ['n1.example'] },
    ]);
    expect(await pinOf(x.id)).toBeUndefined();
  });

  it('pins once a second neighbour relays the same key, and logs both paths', async () => {
    expect((await gossipFrom(n2, [announcementOf(x)])).status).toBe(200);
    expect((await pinOf(x.id))?.fingerprint).toBe(x.fingerprint);
    expect(await pendingOf(x.id)).toBeUndefined();
    const route = await call('POST', `/api/v1/route/${x.id}`);
    expect([route.status, route.body.fingerprint]).toEqual([200, x.fingerprint]);
    expect((await historyOf(x.id)).entries).toMatchObject([
      { event: 'pinned', fingerprint: x.fingerprint, source: 'n1.example,n2.example' },
    ]);
  });

  it('does not let a neighbour relaying another key pin anything: a key conflict', async () => {
    const y = server('y.example');
    const impostor = server('y.example');
    await gossipFrom(n1, [announcementOf(y)]);
    await gossipFrom(n3, [announcementOf(y, impostor)]);
    await gossipFrom(n2, [announcementOf(y)]); // a second agreeing path changes nothing now
    expect(await pinOf(y.id)).toBeUndefined();
    const pending = await pendingOf(y.id);
    expect(pending.state).toBe('conflict');
    expect(pending.keys.map((k: { fingerprint: string }) => k.fingerprint).sort()).toEqual(
      [y.fingerprint, impostor.fingerprint].sort(),
    );
    expect(await keyConflicts(y.id)).toBeGreaterThanOrEqual(1);
    expect((await historyOf(y.id)).entries).toMatchObject([
      { event: 'conflict', reason: 'paths_disagree', fingerprint: impostor.fingerprint },
    ]);
    const route = await call('POST', `/api/v1/route/${y.id}`);
    expect(route.body.error).toBe('pin_pending');
    // No one key to show: a conflict is listed by GET /api/v1/pins only.
    const listed = (await call('GET', '/api/v1/peers?pin=pending')).body.peers;
    expect(listed.map((p: { server_id: string }) => p.server_id)).not.toContain(y.id);
  });

  it('ignores relays by a server it has not pinned (they confirm nothing)', async () => {
    const stranger = server('stranger.example');
    const w = server('w.example');
    await gossipFrom(n1, [announcementOf(w)]);
    expect((await gossipFrom(stranger, [announcementOf(w)])).status).toBe(200);
    expect(await pinOf(w.id)).toBeUndefined();
    expect((await pendingOf(w.id)).keys).toEqual([
      { fingerprint: w.fingerprint, paths: ['n1.example'] },
    ]);
  });

  it('starts afresh after the operator forgets a conflict, and logs the forget', async () => {
    expect((await call('DELETE', '/api/v1/pins/y.example')).status).toBe(204);
    expect(await pendingOf('y.example')).toBeUndefined();
    const events = (await historyOf('y.example')).entries.map((e: { event: string }) => e.event);
    expect(events).toEqual(['conflict', 'forgotten']);
  });
});

describe('rotation, peer side', () => {
  /** A server pinned through two neighbours. */
  async function pinned(id: string): Promise<Server> {
    const s = server(id);
    await gossipFrom(n1, [announcementOf(s)]);
    await gossipFrom(n2, [announcementOf(s)]);
    expect((await pinOf(id))?.fingerprint).toBe(s.fingerprint);
    return s;
  }

  it('refuses a forged rotation (new key, no rotation_signature) with 401 key_mismatch, counts it and logs it', async () => {
    const r = await pinned('forged1.example');
    const next = server(r.id);
    const before = await keyConflicts(r.id);
    const answer = await gossipFrom(r, [], announcementOf(r, next), next.key);
    expect([answer.status, answer.body.error]).toEqual([401, 'key_mismatch']);
    expect(await keyConflicts(r.id)).toBe(before + 1);
    expect((await pinOf(r.id))?.fingerprint).toBe(r.fingerprint);
    expect((await historyOf(r.id)).entries.at(-1)).toMatchObject({
      event: 'conflict',
      reason: 'pinned_key_differs',
      fingerprint: next.fingerprint,
      previous_fingerprint: r.fingerprint,
      source: 'direct',
    });
  });

  it('counts a forger re-sending the same other key once (reputation and history together)', async () => {
    const r = await pinned('forged4.example');
    const next = server(r.id);
    const before = await keyConflicts(r.id);
    for (let i = 0; i < 4; i += 1) {
      const answer = await gossipFrom(r, [], announcementOf(r, next), next.key);
      expect([answer.status, answer.body.error]).toEqual([401, 'key_mismatch']);
    }
    expect(await keyConflicts(r.id)).toBe(before + 1);
    const conflicts = (await historyOf(r.id)).entries.filter(
      (e: { event: string }) => e.event === 'conflict',
    );
    expect(conflicts).toHaveLength(1);
  });

  it('refuses a rotation_signature made by another key than the pinned one (key_mismatch, forged_rotation)', async () => {
    const r = await pinned('forged2.example');
    const next = server(r.id);
    const forged = addRotationSignature(announcementOf(r, next), next.key);
    const answer = await gossipFrom(r, [], forged, next.key);
    expect([answer.status, answer.body.error]).toEqual([401, 'key_mismatch']);
    expect(await keyConflicts(r.id)).toBeGreaterThanOrEqual(1);
    expect((await historyOf(r.id)).entries.at(-1)).toMatchObject({
      event: 'conflict',
      reason: 'forged_rotation',
    });
  });

  it('drops a relayed forged rotation, counts it and logs it with the relaying neighbour', async () => {
    const r = await pinned('forged3.example');
    const next = server(r.id);
    const forged = addRotationSignature(announcementOf(r, next), next.key);
    expect((await gossipFrom(n3, [forged])).status).toBe(200);
    expect((await pinOf(r.id))?.fingerprint).toBe(r.fingerprint);
    expect(await keyConflicts(r.id)).toBeGreaterThanOrEqual(1);
    expect((await historyOf(r.id)).entries.at(-1)).toMatchObject({
      event: 'conflict',
      reason: 'forged_rotation',
      source: 'n3.example',
    });
  });

  it('moves the pin on a valid rotation and logs it', async () => {
    const r = await pinned('rotating.example');
    const next = server(r.id);
    const rotation = addRotationSignature(announcementOf(r, next), r.key);
    const answer = await gossipFrom(r, [], rotation, next.key);
    expect(answer.status).toBe(200);
    expect((await pinOf(r.id))?.fingerprint).toBe(next.fingerprint);
    expect((await historyOf(r.id)).entries.map((e: { event: string }) => e.event)).toEqual([
      'pinned',
      'rotated',
    ]);
  });
});

describe('GET /api/v1/pins/{server_id}/history', () => {
  it('answers 404 for a server never seen and 400 for a malformed id', async () => {
    expect((await call('GET', '/api/v1/pins/never-seen.example/history')).body.error).toBe(
      'not_found',
    );
    const bad = await call('GET', '/api/v1/pins/NOT%20VALID/history');
    expect([bad.status, bad.body.error]).toEqual([400, 'validation_failed']);
  });

  it('answers naughty strings with 400 or 404, never 5xx', async () => {
    const statuses = new Set<number>();
    for (const s of naughtyStrings()) {
      statuses.add((await call('GET', `/api/v1/pins/${encodeURIComponent(s)}/history`)).status);
    }
    expect([...statuses].filter((status) => ![400, 404].includes(status))).toEqual([]);
  }, 60_000);

  it('reports an intact chain, then a tampered row at the next start', async () => {
    expect((await historyOf('x.example')).chain).toMatchObject({ intact: true, broken_at: null });
    const db = service.app.get(DataSource);
    const [row]: { seq: string }[] = await db.query(
      "SELECT seq FROM pin_history WHERE server_id = 'x.example' AND event = 'pinned'",
    );
    await db.query("UPDATE pin_history SET source = 'n3.example' WHERE seq = $1", [row.seq]);
    await service.close();
    await start();
    const chain = (await historyOf('x.example')).chain;
    expect(chain).toMatchObject({ intact: false, broken_at: Number(row.seq) });
    const metrics = (await call('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/discovery_pin_history_chain_broken(\{[^}]*\})? 1/);
  }, 60_000);
});
