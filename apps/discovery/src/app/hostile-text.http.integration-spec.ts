import { formatProtocolTimestamp, newGossipId, signObject } from '@pager/protocol';
import { RunningService } from '@pager/server-kit';
import {
  call as callUrl,
  dropTestSchema,
  naughtyStrings,
  signedTestAnnouncement,
  vectorKey,
} from '@pager/testing';
import { randomBytes } from 'node:crypto';
import type { DiscoveryConfig } from './config/discovery-config';
import { startTestDaemon } from './test-daemon';

// Issue 9: strings PostgreSQL cannot keep (U+0000, lone surrogates) are refused at the edge
// with 400 validation_failed, or dropped and counted inside a gossip envelope; never a 500.

const schema = `it_hostile_${randomBytes(5).toString('hex')}`;
const SELF = 'daemon.test';
let service: RunningService<DiscoveryConfig>;
let base: string;
const call = (method: string, path: string, body?: unknown) => callUrl(base, method, path, body);
const now = () => formatProtocolTimestamp(Date.now());
const HOSTILE = ['nul\u0000inside', 'lone \uD800 high', 'lone \uDC00 low'];

beforeAll(async () => {
  ({ service, base } = await startTestDaemon(SELF, schema));
}, 60_000);

afterAll(async () => {
  await service?.close();
  await dropTestSchema(schema);
});

// One key may sign announcements for any number of invented server ids.
const KEY = vectorKey('mirah.example.com');

function announcementOf(serverId: string) {
  return signedTestAnnouncement(serverId, KEY);
}

async function rejectedSchemaCount(): Promise<number> {
  const text = (await call('GET', '/metrics')).body as string;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('discovery_announcements_total{outcome="rejected",reason="schema",'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('a new server gossiping an announcement whose server_id holds U+0000', () => {
  it('drops and counts that announcement; the exchange and the sender proceed', async () => {
    const from = `fresh-${randomBytes(4).toString('hex')}.example`;
    const before = await rejectedSchemaCount();
    const hostile = HOSTILE.map((text) => announcementOf(`evil${text}.example`));
    const envelope = signObject(
      {
        version: '1.0',
        type: 'gossip',
        gossip_id: newGossipId(),
        from,
        timestamp: now(),
        digest_hash: 'a'.repeat(64),
        bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
        announcements: [announcementOf(from), ...hostile],
      },
      KEY.privateKey,
    );
    const { status, body } = await call('POST', '/discovery/gossip', envelope);
    expect([status, body.type]).toEqual([200, 'gossip_reply']);
    expect(await rejectedSchemaCount()).toBe(before + HOSTILE.length);
    const peers = (await call('GET', '/api/v1/peers')).body.peers as { server_id: string }[];
    expect(peers.map((p) => p.server_id)).toContain(from);
    expect(peers.some((p) => p.server_id.startsWith('evil'))).toBe(false);
  });

  it('refuses an envelope whose own from holds U+0000 with 400 validation_failed', async () => {
    const envelope = signObject(
      {
        version: '1.0',
        type: 'gossip',
        gossip_id: newGossipId(),
        from: 'x\u0000.example',
        timestamp: now(),
        digest_hash: 'a'.repeat(64),
        bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
        announcements: [],
      },
      KEY.privateKey,
    );
    const { status, body } = await call('POST', '/discovery/gossip', envelope);
    expect([status, body.error]).toEqual([400, 'validation_failed']);
  });
});

describe('internal API text fields', () => {
  it.each(HOSTILE)('refuses %j as a blocklist reason with 400 validation_failed', async (text) => {
    const { status, body } = await call('PUT', '/api/v1/blocklist/spam.example', { reason: text });
    expect([status, body.error]).toEqual([400, 'validation_failed']);
    expect(body.message).toContain('reason');
    expect((await call('GET', '/api/v1/blocklist')).body.blocked).toEqual([]);
  });

  it.each(HOSTILE)('refuses %j as report details with 400 validation_failed', async (text) => {
    const report = { server_id: 'spam.example', reason: 'spam', details: text };
    const { status, body } = await call('POST', '/api/v1/reputation/report', report);
    expect([status, body.error]).toEqual([400, 'validation_failed']);
    expect((await call('GET', '/api/v1/reputation/spam.example')).status).toBe(404);
  });

  it('keeps every other BLNS string as a blocklist reason exactly as given', async () => {
    for (const reason of naughtyStrings().filter((s) => s.length > 0 && s.length <= 1000)) {
      const put = await call('PUT', '/api/v1/blocklist/naughty.example', { reason });
      expect([put.status, put.body.reason]).toEqual([200, reason]);
    }
    expect((await call('DELETE', '/api/v1/blocklist/naughty.example')).status).toBe(204);
  }, 60_000);

  it('refuses to put this server on its own blocklist', async () => {
    const { status, body } = await call('PUT', `/api/v1/blocklist/${SELF}`, { reason: 'oops' });
    expect([status, body.error]).toEqual([400, 'validation_failed']);
    expect(body.message).toContain('cannot block itself');
    expect((await call('GET', '/api/v1/blocklist')).body.blocked).toEqual([]);
    expect((await call('POST', `/api/v1/route/${SELF}`)).body.source).toBe('self');
  });
});
