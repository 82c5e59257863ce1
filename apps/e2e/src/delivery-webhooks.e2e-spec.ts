import { createHmac } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { TestServer, call, eventually } from '@pager/testing';

/**
 * Issue 7, durable webhooks: events recorded while the pager tool is down survive a
 * `kill -9` of the adapter and are posted after its restart, each with its event_id and an
 * HMAC-SHA256 signature (X-Pager-Signature) over "<X-Pager-Timestamp>.<raw body>".
 */
const SECRET = 'e2e-webhook-secret-0123456789abcdef';

describe('webhook events across kill -9', () => {
  const server = new TestServer({
    serverId: 'dlv-hook',
    host: '127.0.0.130',
    adapterEnv: {
      PAGER_WEBHOOK_URL: 'http://127.0.0.131:4300/events',
      PAGER_WEBHOOK_SECRET: SECRET,
    },
  });
  const posts: { headers: IncomingHttpHeaders; raw: string }[] = [];
  let hook: Server | undefined;

  beforeAll(async () => {
    // Fresh pins and queues even on a database kept between runs.
    await server.dropSchemas();
    await server.start();
    for (const [user_id, username] of [
      ['u1', 'alice'],
      ['u2', 'bob'],
    ])
      await call(server.adapter!.baseUrl, 'POST', '/api/v1/users', { user_id, username });
  });

  afterAll(async () => {
    await server.stop();
    hook?.closeAllConnections();
    if (hook) await new Promise((r) => hook!.close(r));
  });

  it('posts the events recorded before the crash, signed, once the tool is back', async () => {
    // The pager tool is down (nothing listens on 127.0.0.131:4300).
    const sent = await call(server.adapter!.baseUrl, 'POST', '/api/v1/messages', {
      sender_user_id: 'u1',
      to: 'bob',
      content: 'recorded before the crash',
    });
    expect(sent.status).toBe(201);
    const id = sent.body.message_id as string;
    await server.adapter!.kill();

    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook!.listen(4300, '127.0.0.131', r));
    await server.adapter!.start();

    const mine = await eventually(
      async () => {
        const list = posts.filter((p) => p.raw.includes(id));
        return new Set(list.map((p) => JSON.parse(p.raw).event)).size === 2 ? list : undefined;
      },
      30_000,
      'both events of the page after the restart',
    );
    for (const p of mine) {
      const body = JSON.parse(p.raw);
      expect(p.headers['x-pager-event-id']).toBe(body.event_id);
      const expected =
        'sha256=' +
        createHmac('sha256', SECRET)
          .update(`${p.headers['x-pager-timestamp']}.${p.raw}`)
          .digest('hex');
      expect(p.headers['x-pager-signature']).toBe(expected);
      expect(body.message).toMatchObject({ message_id: id, content: 'recorded before the crash' });
    }
    expect(mine.map((p) => JSON.parse(p.raw).event).sort()).toEqual(
      expect.arrayContaining(['message.delivered', 'message.received']),
    );
  });
});
