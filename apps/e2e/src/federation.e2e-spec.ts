import { createServer, Server, IncomingMessage } from 'node:http';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fingerprint,
  formatProtocolTimestamp,
  newMessageId,
  parsePrivateKey,
  signObject,
  verifyObjectSignature,
  messageDigest,
} from '@pager/protocol';
import type { BoxMessage } from '@pager/internal-api';
import type { ServiceProcess } from '@pager/testing';
import { TestServer, call, eventually, naughtyStrings } from '@pager/testing';

/**
 * Two complete servers (daemon + adapter each) on loopback, with short delivery timers:
 * pages by address and by contact name, retries across a receiver outage, a receiver that
 * never acknowledges, a kill -9 of the sender, duplicates and hostile inbound pages.
 */
const RETRY_DELAY_MS = 4000;
/** The adapter caches daemon answers for at most 10 s (docs/api.md). */
const ROUTE_CACHE_MS = 10_000;
const timers = {
  ACK_TIMEOUT_MS: '1500',
  RETRY_DELAY_MS: String(RETRY_DELAY_MS),
  DELIVERY_ATTEMPTS: '3',
};

describe('federated paging between two servers', () => {
  // server-a reports to a live webhook; server-b's webhook is down for the whole run, which
  // must cost notifications only, never a page.
  const webhookEvents: { event: string; message: { message_id: string; status: string } }[] = [];
  const webhook = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      webhookEvents.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.end();
    });
  });
  const a = new TestServer({
    serverId: 'server-a',
    host: '127.0.0.31',
    env: timers,
    adapterEnv: { PAGER_WEBHOOK_URL: 'http://127.0.0.33:4300/events' },
  });
  const b = new TestServer({
    serverId: 'server-b',
    host: '127.0.0.32',
    env: { ...timers, BOOTSTRAP_SERVERS: 'http://127.0.0.31:4100/discovery' },
    adapterEnv: { PAGER_WEBHOOK_URL: 'http://127.0.0.34:4300/nobody-listens' },
  });
  const adapterA = () => a.adapter!.baseUrl;
  const adapterB = () => b.adapter!.baseUrl;

  async function register(base: string, userId: string, username: string): Promise<void> {
    const response = await call(base, 'POST', '/api/v1/users', { user_id: userId, username });
    expect(response.status).toBe(201);
  }

  async function send(to: string, content: string): Promise<string> {
    const response = await call(adapterA(), 'POST', '/api/v1/messages', {
      sender_user_id: 'u-taylor',
      to,
      content,
    });
    expect(response.status).toBe(202);
    expect(response.body.status).toBe('queued');
    return response.body.message_id as string;
  }

  async function stateOf(messageId: string) {
    return (await call(adapterA(), 'GET', `/api/v1/messages/${messageId}`)).body;
  }

  async function settled(messageId: string, timeoutMs = 30_000) {
    return eventually(
      async () => {
        const state = await stateOf(messageId);
        return ['delivered', 'rejected', 'failed'].includes(state.status) ? state : undefined;
      },
      timeoutMs,
      `message ${messageId} to settle`,
    );
  }

  async function inboxOfAlex() {
    return (await call(adapterB(), 'GET', '/api/v1/users/u-alex/messages?box=inbox')).body
      .messages as BoxMessage[];
  }

  function keyOf(server: TestServer) {
    return parsePrivateKey(readFileSync(join(server.dataDir, 'server-key.pem'), 'utf8'));
  }

  function signedMessage(overrides: Record<string, unknown> = {}) {
    const key = keyOf(a);
    return signObject(
      {
        version: '1.0',
        message_id: newMessageId(),
        message_type: 'pager',
        from: 'taylor@server-a',
        to: 'alex@server-b',
        content: 'direct page',
        priority: 1,
        timestamp: formatProtocolTimestamp(Date.now()),
        sender_fingerprint: fingerprint(createPublicKey(key)),
        ...overrides,
      },
      key,
    );
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => webhook.listen(4300, '127.0.0.33', resolve));
    await a.start();
    await b.start();
    await register(adapterA(), 'u-taylor', 'taylor');
    await register(adapterB(), 'u-alex', 'alex');
    await eventually(
      async () =>
        (await call(a.discovery.baseUrl, 'POST', '/api/v1/route/server-b')).status === 200,
      20_000,
      'server-a to resolve server-b',
    );
  });

  afterAll(async () => {
    await a.stop();
    await b.stop();
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  });

  /** The events of `service` about page `messageId` (JSON log lines). */
  function pageEvents(log: ServiceProcess, name: string, messageId: string) {
    return log.events(name).filter((e) => e.message_id === messageId);
  }

  // First: the sender adapter has no cached route yet, so this page's look-up reaches the daemon.
  it("follows one page by its trace id through the sender adapter, the sender's daemon and the receiver adapter", async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const response = await call(
      adapterA(),
      'POST',
      '/api/v1/messages',
      { sender_user_id: 'u-taylor', to: 'alex@server-b', content: 'traced' },
      { traceparent: `00-${traceId}-${callerSpan}-01` },
    );
    expect(response.status).toBe(202);
    expect(response.headers.get('traceparent')).toMatch(
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`),
    );
    const id = response.body.message_id as string;
    expect((await settled(id)).status).toBe('delivered');

    const delivered = await eventually(
      async () => pageEvents(a.adapter!, 'federation.message_delivered', id)[0],
      5_000,
      "the sender's delivered line",
    );
    const queued = pageEvents(a.adapter!, 'federation.message_queued', id);
    const attempts = pageEvents(a.adapter!, 'federation.delivery_attempt', id);
    expect(queued).toEqual([expect.objectContaining({ trace_id: traceId })]);
    expect(queued[0].span_id).not.toBe(callerSpan);
    expect(attempts).toEqual([expect.objectContaining({ trace_id: traceId })]);
    expect(delivered).toMatchObject({ trace_id: traceId, span_id: attempts[0].span_id });

    const received = pageEvents(b.adapter!, 'federation.message_received', id);
    expect(received).toEqual([expect.objectContaining({ trace_id: traceId })]);
    // The ack's traceparent names the receiver's span, which the sender logged.
    expect(delivered.ack_span_id).toBe(received[0].span_id);

    expect(
      a.discovery
        .events('discovery.route_lookup')
        .filter((e) => e.trace_id === traceId && e.domain === 'server-b'),
    ).toHaveLength(1);
  });

  it('delivers a page by address and puts it in both boxes', async () => {
    const id = await send('alex@server-b', 'Meeting moved to 3pm — café ☕');
    const state = await settled(id);
    expect(state).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    const inbox = await inboxOfAlex();
    expect(inbox.filter((m) => m.message_id === id)).toEqual([
      expect.objectContaining({
        from: 'taylor@server-a',
        content: 'Meeting moved to 3pm — café ☕',
      }),
    ]);
    const sent = (await call(adapterA(), 'GET', '/api/v1/users/u-taylor/messages?box=sent')).body
      .messages;
    expect(sent.find((m: { message_id: string }) => m.message_id === id)).toMatchObject({
      to: 'alex@server-b',
      status: 'delivered',
    });
  });

  it("tells the pager tool through the webhook, while the receiver's webhook outage blocks nothing", async () => {
    const id = await send('alex@server-b', 'with a webhook');
    expect((await settled(id)).status).toBe('delivered');
    const event = await eventually(
      async () => webhookEvents.find((e) => e.message.message_id === id),
      10_000,
      'the message.delivered event',
    );
    expect(event).toMatchObject({
      event: 'message.delivered',
      message: { message_id: id, status: 'delivered' },
    });
    expect((await inboxOfAlex()).some((m) => m.message_id === id)).toBe(true);
  });

  it('delivers a page addressed by contact name', async () => {
    const contact = await call(adapterA(), 'POST', '/api/v1/users/u-taylor/contacts', {
      name: 'Alex B',
      pager_address: 'alex@server-b',
    });
    expect(contact.status).toBe(201);
    const id = await send('alex b', 'by contact name');
    expect((await settled(id)).status).toBe('delivered');
    expect(
      (await inboxOfAlex()).some((m) => m.message_id === id && m.content === 'by contact name'),
    ).toBe(true);
  });

  it('delivers on the third attempt when the receiver is down for the first two', async () => {
    await b.adapter!.stop();
    const id = await send('alex@server-b', 'third time lucky');
    await eventually(async () => (await stateOf(id)).attempts >= 2, 20_000, 'two failed attempts');
    expect((await stateOf(id)).status).not.toBe('delivered');
    await b.adapter!.start();
    const state = await settled(id);
    expect(state).toMatchObject({ status: 'delivered', attempts: 3 });
    expect((await inboxOfAlex()).filter((m) => m.message_id === id)).toHaveLength(1);
  });

  it('survives kill -9 of the sending adapter with a page queued, and delivers it once', async () => {
    // With its daemon stopped the adapter cannot route, so the page stays queued.
    await a.discovery.stop();
    await new Promise((r) => setTimeout(r, ROUTE_CACHE_MS + 500));
    const id = await send('alex@server-b', 'survives a crash');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stateOf(id)).status).toBe('queued');
    await a.adapter!.kill();
    await a.discovery.start();
    await a.adapter!.start();
    const state = await settled(id);
    expect(state.status).toBe('delivered');
    expect((await inboxOfAlex()).filter((m) => m.message_id === id)).toHaveLength(1);
    // The trace id was stored with the page: the attempt after the restart still carries it.
    const [queued] = pageEvents(a.adapter!, 'federation.message_queued', id);
    expect(queued.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(
      await eventually(
        async () => pageEvents(a.adapter!, 'federation.message_delivered', id)[0],
        5_000,
        "the sender's delivered line",
      ),
    ).toMatchObject({ trace_id: queued.trace_id });
    expect(pageEvents(b.adapter!, 'federation.message_received', id)).toEqual([
      expect.objectContaining({ trace_id: queued.trace_id }),
    ]);
  });

  it('stores a duplicate POST once and acknowledges both with the same status', async () => {
    const message = signedMessage({ content: 'only once' });
    const first = await call(adapterB(), 'POST', '/federation/messages', message);
    const second = await call(adapterB(), 'POST', '/federation/messages', message);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body).toMatchObject({ message_id: message.message_id, status: 'delivered' });
    expect(second.body).toMatchObject({ message_id: message.message_id, status: 'delivered' });
    expect(first.body.message_digest).toBe(messageDigest(message));
    expect(verifyObjectSignature(second.body, createPublicKey(keyOf(b)))).toBe(true);
    expect((await inboxOfAlex()).filter((m) => m.message_id === message.message_id)).toHaveLength(
      1,
    );
  });

  it("continues a sending server's traceparent and answers with its own span", async () => {
    const traceId = randomBytes(16).toString('hex');
    const message = signedMessage({ content: 'traced by a strict peer' });
    const response = await call(adapterB(), 'POST', '/federation/messages', message, {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'delivered' });
    const answered = response.headers.get('traceparent') ?? '';
    expect(answered).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(pageEvents(b.adapter!, 'federation.message_received', message.message_id)).toEqual([
      expect.objectContaining({ trace_id: traceId, span_id: answered.split('-')[2] }),
    ]);
  });

  it('ignores a malformed traceparent (BLNS, oversize, wrong version): the page is delivered under a new trace', async () => {
    // Header values fetch can send: printable ASCII, without surrounding blanks.
    const values = [
      ...naughtyStrings()
        .filter((v) => /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v))
        .filter((_v, i) => i % 15 === 0),
      `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01${'-x'.repeat(300)}`,
      `ff-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      `00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`,
    ];
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) {
      const message = signedMessage({ content: 'malformed trace' });
      const response = await call(adapterB(), 'POST', '/federation/messages', message, {
        traceparent: value,
      });
      expect([value, response.status, response.body?.status]).toEqual([value, 200, 'delivered']);
      expect(response.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(response.headers.get('traceparent')).not.toContain('a'.repeat(32));
    }
  });

  it('answers a signed rejection for an unknown recipient', async () => {
    const message = signedMessage({ to: 'nobody@server-b' });
    const response = await call(adapterB(), 'POST', '/federation/messages', message);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'rejected', reason: 'unknown_recipient' });
  });

  it('refuses tampered, wrongly keyed, stale, misaddressed and oversize pages with the spec codes', async () => {
    const tampered = { ...signedMessage(), content: 'changed after signing' };
    expect(await refusal(tampered)).toEqual([401, 'signature_invalid']);

    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wronglyKeyed = signObject(
      { ...signedMessage(), sender_fingerprint: fingerprint(stranger.publicKey) },
      stranger.privateKey,
    );
    expect(await refusal(wronglyKeyed)).toEqual([401, 'key_mismatch']);

    const signedByStranger = signObject(signedMessage(), stranger.privateKey);
    expect(await refusal(signedByStranger)).toEqual([401, 'signature_invalid']);

    const stale = signedMessage({ timestamp: formatProtocolTimestamp(Date.now() - 10 * 60_000) });
    expect(await refusal(stale)).toEqual([400, 'clock_skew']);

    const misaddressed = signedMessage({ to: 'alex@server-c' });
    expect(await refusal(misaddressed)).toEqual([400, 'wrong_server']);

    const oversize = signedMessage({ padding: 'x'.repeat(70 * 1024) });
    expect(await refusal(oversize)).toEqual([413, 'payload_too_large']);

    expect(await refusal('{"version":')).toEqual([400, 'invalid_json']);
    expect(await refusal({ ...signedMessage(), priority: 'high' })).toEqual([
      400,
      'validation_failed',
    ]);
    expect(await refusal(signedMessage({ version: '2.0' }))).toEqual([400, 'unsupported_version']);
    expect(await refusal(signedMessage({ from: 'mallory@server-z' }))).toEqual([
      401,
      'unknown_server',
    ]);
  });

  async function refusal(body: unknown): Promise<[number, string]> {
    const response = await call(adapterB(), 'POST', '/federation/messages', body);
    return [response.status, response.body?.error];
  }
});

describe('a receiver that never acknowledges', () => {
  // server-c's announcement points its federation endpoint at a socket that reads the
  // request and never answers.
  let blackHole: Server;
  const received: IncomingMessage[] = [];
  const sender = new TestServer({
    serverId: 'server-s',
    host: '127.0.0.41',
    env: { ACK_TIMEOUT_MS: '1000', RETRY_DELAY_MS: '1000', DELIVERY_ATTEMPTS: '3' },
  });
  const silent = new TestServer({
    serverId: 'server-c',
    host: '127.0.0.42',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.0.43:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.0.41:4100/discovery',
    },
  });

  beforeAll(async () => {
    blackHole = createServer((request) => received.push(request));
    await new Promise<void>((resolve) => blackHole.listen(4200, '127.0.0.43', resolve));
    await sender.start();
    await silent.start();
    await call(sender.adapter!.baseUrl, 'POST', '/api/v1/users', {
      user_id: 'u1',
      username: 'sam',
    });
    // Until server-s has learnt server-c, attempts end domain_not_found without a request.
    await eventually(
      async () =>
        (await call(sender.discovery.baseUrl, 'POST', '/api/v1/route/server-c')).status === 200,
      20_000,
      'server-s to resolve server-c',
    );
  });

  afterAll(async () => {
    await sender.stop();
    await silent.stop();
    blackHole.closeAllConnections();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  it('marks the page failed after exactly three attempts', async () => {
    const response = await call(sender.adapter!.baseUrl, 'POST', '/api/v1/messages', {
      sender_user_id: 'u1',
      to: 'anyone@server-c',
      content: 'hello?',
    });
    expect(response.status).toBe(202);
    const id = response.body.message_id;
    const state = await eventually(
      async () => {
        const current = (await call(sender.adapter!.baseUrl, 'GET', `/api/v1/messages/${id}`)).body;
        return current.status === 'failed' ? current : undefined;
      },
      30_000,
      'the page to fail',
    );
    expect(state.attempts).toBe(3);
    expect(state.last_error).toEqual(expect.any(String));
    await new Promise((r) => setTimeout(r, 2500));
    expect(received.filter((r) => r.url === '/federation/messages')).toHaveLength(3);
  });
});
