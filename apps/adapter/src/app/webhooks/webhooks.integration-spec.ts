import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RunningService, freeLoopbackPort, startService } from '@pager/server-kit';
import { call, dropTestSchema, eventually } from '@pager/testing';
import { adapterService } from '../adapter.service-definition';
import type { AdapterConfig } from '../config/adapter-config';
import { fakeDaemon, startJsonServer } from '../../../test/fake-peers';
import { verifyWebhookSignature } from './webhook-signature';

jest.setTimeout(60_000);

const SECRET = 'webhook-secret-for-tests-0123456789';

interface Post {
  headers: IncomingHttpHeaders;
  raw: string;
}

/**
 * Durable webhooks: events are rows, posted after commit, retried with backoff through an
 * outage, kept across a restart of the adapter, each with an event_id and an HMAC-SHA256
 * signature of the raw body under PAGER_WEBHOOK_SECRET.
 */
describe('durable, signed webhooks', () => {
  const schema = `it_wh_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'adapter-wh-'));
  const posts: Post[] = [];
  let failing = 0;
  let hook: Server;
  let hookUrl: string;
  let daemonClose: () => Promise<void>;
  let daemonUrl: string;
  let port: number;

  async function start(): Promise<RunningService<AdapterConfig>> {
    return startService(adapterService, {
      SERVER_ID: 'pager.test',
      BIND_ADDRESS: '127.0.0.1',
      ADAPTER_PORT: String(port),
      FEDERATION_PUBLIC_URL: `http://127.0.0.1:${port}/federation`,
      DISCOVERY_INTERNAL_URL: daemonUrl,
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      DATA_DIR: dataDir,
      PAGER_WEBHOOK_URL: `${hookUrl}/events`,
      PAGER_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: process.env.ADAPTER_TEST_LOG_LEVEL ?? 'error',
    });
  }

  beforeAll(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
        if (failing > 0) {
          failing--;
          res.writeHead(503).end();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    const daemon = await startJsonServer(fakeDaemon([]).handler);
    daemonClose = daemon.close;
    daemonUrl = daemon.url;
    port = await freeLoopbackPort();
  });

  afterAll(async () => {
    hook.closeAllConnections();
    await new Promise((r) => hook.close(r));
    await daemonClose();
    await dropTestSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('posts each event with an event_id and a signature over the raw body, retrying through an outage', async () => {
    const service = await start();
    const base = `http://127.0.0.1:${port}`;
    try {
      for (const [user_id, username] of [
        ['u1', 'alice'],
        ['u2', 'bob'],
      ])
        await call(base, 'POST', '/api/v1/users', { user_id, username });
      failing = 2;
      const sent = await call(base, 'POST', '/api/v1/messages', {
        sender_user_id: 'u1',
        to: 'bob',
        content: 'local page, café ☕',
      });
      expect(sent.status).toBe(201);
      const id = sent.body.message_id;
      const ok = await eventually(
        async () => {
          const mine = posts.filter((p) => p.raw.includes(id));
          const events = new Set(mine.map((p) => JSON.parse(p.raw).event));
          return mine.length >= 4 && events.size === 2 ? mine : undefined;
        },
        15_000,
        'both events, after the outage',
      );
      // The two 503s were retried with the same event_id and body.
      const byEvent = new Map<string, Post[]>();
      for (const p of ok) {
        const eventId = String(p.headers['x-pager-event-id']);
        byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), p]);
      }
      expect(byEvent.size).toBe(2);
      expect([...byEvent.values()].map((l) => l.length).reduce((a, b) => a + b)).toBe(4);
      for (const [eventId, list] of byEvent) {
        for (const p of list) {
          const body = JSON.parse(p.raw);
          expect(body.event_id).toBe(eventId);
          expect(body.message).toMatchObject({ message_id: id, content: 'local page, café ☕' });
          const ts = Number(p.headers['x-pager-timestamp']);
          expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(60);
          expect(
            verifyWebhookSignature(SECRET, ts, p.raw, String(p.headers['x-pager-signature'])),
          ).toBe(true);
          expect(
            verifyWebhookSignature('wrong', ts, p.raw, String(p.headers['x-pager-signature'])),
          ).toBe(false);
        }
      }
    } finally {
      await service.close();
    }
  });

  it('keeps undelivered events across a restart of the adapter and posts them then', async () => {
    let service = await start();
    const base = `http://127.0.0.1:${port}`;
    failing = 1_000_000; // the pager tool is down
    const sent = await call(base, 'POST', '/api/v1/messages', {
      sender_user_id: 'u1',
      to: 'bob',
      content: 'while the tool is down',
    });
    const id = sent.body.message_id;
    await eventually(
      async () => posts.some((p) => p.raw.includes(id)),
      10_000,
      'a first (failing) post',
    );
    await service.close();
    failing = 0;
    const before = posts.length;
    service = await start();
    try {
      const delivered = await eventually(
        async () => {
          const later = posts.slice(before).filter((p) => p.raw.includes(id));
          return new Set(later.map((p) => JSON.parse(p.raw).event)).size === 2 ? later : undefined;
        },
        20_000,
        'the kept events after the restart',
      );
      expect(delivered.every((p) => p.headers['x-pager-signature'])).toBe(true);
    } finally {
      await service.close();
    }
  });
});
