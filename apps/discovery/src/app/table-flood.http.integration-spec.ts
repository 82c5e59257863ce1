import { formatProtocolTimestamp, newGossipId, signObject } from '@pager/protocol';
import { RunningService } from '@pager/server-kit';
import { call as callUrl, dropTestSchema, signedTestAnnouncement, vectorKey } from '@pager/testing';
import { randomBytes } from 'node:crypto';
import type { DiscoveryConfig } from './config/discovery-config';
import { startTestDaemon } from './test-daemon';

/**
 * Issue 9, table flooding, scaled down by 10: a neighbour relays 5,000 valid invented
 * announcements (one key signs all) with RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR=200 and
 * MAX_KNOWN_SERVERS=300 (defaults 2,000 and 20,000: the same code paths, a tenth of the
 * signing time). The daemon stores 200 of them, drops and counts the rest, keeps serving,
 * and a server that announces itself directly still gets in when the table is full.
 */
const schema = `it_flood_${randomBytes(5).toString('hex')}`;
const SELF = 'daemon.test';
const KEY = vectorKey('other-server.com');
const RELAYED = 5_000;
let service: RunningService<DiscoveryConfig>;
let base: string;
const call = (method: string, path: string, body?: unknown) => callUrl(base, method, path, body);
const now = () => formatProtocolTimestamp(Date.now());

function announcementOf(serverId: string): Record<string, unknown> {
  return signedTestAnnouncement(serverId, KEY);
}

function gossipFrom(from: string, announcements: unknown[]): Record<string, unknown> {
  return signObject(
    {
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from,
      timestamp: now(),
      digest_hash: 'a'.repeat(64),
      bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
      announcements,
    },
    KEY.privateKey,
  );
}

async function metric(name: string, labels: string): Promise<number> {
  const text = (await call('GET', '/metrics')).body as string;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const peerIds = async (): Promise<string[]> =>
  ((await call('GET', '/api/v1/peers')).body.peers as { server_id: string }[]).map(
    (p) => p.server_id,
  );

beforeAll(async () => {
  ({ service, base } = await startTestDaemon(SELF, schema, {
    MAX_KNOWN_SERVERS: '300',
    RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR: '200',
  }));
}, 60_000);

afterAll(async () => {
  await service?.close();
  await dropTestSchema(schema);
});

describe('a neighbour relaying 5,000 invented servers', () => {
  it('stores 200 (its hourly quota), drops and counts the rest, and keeps serving', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    for (let batch = 0; batch < RELAYED / 500; batch++) {
      const invented = Array.from({ length: 499 }, (_, i) =>
        announcementOf(`invented-${batch}-${i}.example`),
      );
      const envelope = gossipFrom('relay-one.example', [
        announcementOf('relay-one.example'),
        ...invented,
      ]);
      expect((await call('POST', '/discovery/gossip', envelope)).status).toBe(200);
    }
    const ids = await peerIds();
    const invented = ids.filter((id) => id.startsWith('invented-'));
    const dropped = await metric('discovery_table_dropped_total', 'reason="neighbour_quota"');
    process.stdout.write(
      `\ntable flood: ${RELAYED - RELAYED / 500} relayed invented servers from one neighbour → ` +
        `${invented.length} stored, ${dropped} dropped (neighbour_quota), table ${ids.length} entries, ` +
        `${Date.now() - started} ms, heap +${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6)} MB (in-process, test included)\n`,
    );
    expect(invented).toHaveLength(200);
    expect(dropped).toBe(RELAYED - RELAYED / 500 - 200);
    expect(ids).toContain('relay-one.example');
    expect((await call('GET', '/health/ready')).status).toBe(200);
    expect((await call('POST', '/api/v1/route/relay-one.example')).body.source).toBe('cache');
  }, 300_000);

  it('caps the table at MAX_KNOWN_SERVERS across neighbours, then lets a direct server in', async () => {
    for (const relay of ['relay-two.example']) {
      const invented = Array.from({ length: 299 }, (_, i) => announcementOf(`more-${i}.example`));
      const envelope = gossipFrom(relay, [announcementOf(relay), ...invented]);
      expect((await call('POST', '/discovery/gossip', envelope)).status).toBe(200);
    }
    const afterTwo = await peerIds();
    // The table holds 300 entries: our own (not listed by GET /api/v1/peers) and 299 others.
    expect(afterTwo.length).toBe(299);
    expect(await metric('discovery_table_dropped_total', 'reason="table_full"')).toBeGreaterThan(0);

    // A server gossiping for itself (direct) replaces the least valuable relayed entry.
    const direct = gossipFrom('direct.example', [announcementOf('direct.example')]);
    expect((await call('POST', '/discovery/gossip', direct)).status).toBe(200);
    const ids = await peerIds();
    expect(ids).toContain('direct.example');
    expect(ids).toHaveLength(299);
    expect(await metric('discovery_table_dropped_total', 'reason="evicted"')).toBe(1);
  }, 120_000);
});
