import { formatProtocolTimestamp, newGossipId, signObject } from '@pager/protocol';
import { RunningService } from '@pager/server-kit';
import {
  call,
  dropTestSchema,
  eventually,
  signedTestAnnouncement,
  vectorKey,
} from '@pager/testing';
import { randomBytes } from 'node:crypto';
import type { DiscoveryConfig } from '../config/discovery-config';
import { startTestDaemon } from '../test-daemon';

/**
 * Issue 9, bounded amplification, the daemon's side (apps/e2e/src/amplification.e2e-spec.ts
 * shows it through the adapter): 500 route look-ups for 500 invented senders on behalf of
 * one client address cost 2 floods to our neighbour; the rest are refused with 429, and a
 * look-up for our users right after still floods and succeeds.
 */
const tag = randomBytes(4).toString('hex');
const KEY = vectorKey('other-server.com');
const services: RunningService<DiscoveryConfig>[] = [];
const schemas: string[] = [];
let a: string;
let b: string;

async function start(serverId: string, extra: Record<string, string>): Promise<string> {
  const schema = `it_amp_${serverId.replace(/\W/g, '_')}_${tag}`;
  schemas.push(schema);
  const daemon = await startTestDaemon(serverId, schema, { GOSSIP_JITTER_MS: '0', ...extra });
  services.push(daemon.service);
  return daemon.base;
}

async function metric(base: string, name: string, labels: string): Promise<number> {
  const text = (await call(base, 'GET', '/metrics')).body as string;
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const knows = async (base: string, id: string) =>
  ((await call(base, 'GET', '/api/v1/peers')).body.peers as { server_id: string }[]).some(
    (p) => p.server_id === id,
  );

beforeAll(async () => {
  b = await start('amp-b.test', { RATE_LIMIT_QUERIES_PER_HOUR: '20' });
  a = await start('amp-a.test', { BOOTSTRAP_SERVERS: `${b}/discovery` });
  await eventually(() => knows(a, 'amp-b.test'), 20_000, 'a to know b');
  // A server only b knows: it gossips its own announcement to b.
  const announcement = signedTestAnnouncement('only-b-knows.test', KEY);
  const gossip = signObject(
    {
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from: 'only-b-knows.test',
      timestamp: formatProtocolTimestamp(Date.now()),
      digest_hash: 'a'.repeat(64),
      bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
      announcements: [announcement],
    },
    KEY.privateKey,
  );
  expect((await call(b, 'POST', '/discovery/gossip', gossip)).status).toBe(200);
  expect(await knows(a, 'only-b-knows.test')).toBe(false);
}, 120_000);

afterAll(async () => {
  for (const service of services.reverse()) await service.close();
  for (const schema of schemas) await dropTestSchema(schema);
});

it('500 invented senders from one client address cost 2 floods; our own look-up still works', async () => {
  const statuses = new Map<number, number>();
  for (let i = 0; i < 500; i++) {
    const { status, body, headers } = await call(a, 'POST', `/api/v1/route/invented-${i}.example`, {
      client_address: '203.0.113.7',
    });
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status === 429) {
      expect(body.error).toBe('rate_limited');
      expect(Number(headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }
  const flooded = await metric(a, 'discovery_sender_lookups_total', 'result="flooded"');
  const relayedAtB = await metric(b, 'discovery_queries_total', 'role="relay"');
  process.stdout.write(
    `\nsender look-ups: ${JSON.stringify(Object.fromEntries(statuses))}, floods ${flooded}, queries at the neighbour ${relayedAtB}\n`,
  );
  expect(Object.fromEntries(statuses)).toEqual({ 404: 2, 429: 498 });
  expect(flooded).toBe(2);
  expect(await metric(a, 'discovery_sender_lookups_total', 'result="refused_client"')).toBe(498);
  expect(relayedAtB).toBe(2);

  // Another client address has a budget of its own; a known domain costs nothing.
  expect(
    (await call(a, 'POST', '/api/v1/route/invented-x.example', { client_address: '198.51.100.9' }))
      .status,
  ).toBe(404);
  expect(
    (await call(a, 'POST', '/api/v1/route/amp-b.test', { client_address: '203.0.113.7' })).status,
  ).toBe(200);

  // Our users' look-up (no client address) floods, and b answers: its quota is intact.
  const routed = await call(a, 'POST', '/api/v1/route/only-b-knows.test');
  expect([routed.status, routed.body.source]).toEqual([200, 'query']);
}, 180_000);

it('refuses a client_address that is no IP address', async () => {
  const { status, body } = await call(a, 'POST', '/api/v1/route/amp-b.test', {
    client_address: 'not an ip\u0000',
  });
  expect([status, body.error]).toEqual([400, 'validation_failed']);
});
