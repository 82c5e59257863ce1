import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import {
  fingerprint,
  formatProtocolTimestamp,
  newMessageId,
  parsePrivateKey,
  signObject,
} from '@pager/protocol';
import { ReceiverBehaviour, StrictReceiver, TestServer, call, eventually } from '@pager/testing';

/**
 * Issue 7, isolation: 1,000 pages stuck on a destination that accepts connections and never
 * answers must not delay a page to a healthy one; the stuck pages wait as `unreachable`
 * without spending attempts, and when the destination comes back (here: it sends us a page,
 * a sign of life) they are delivered exactly once. Real processes: the sender (daemon +
 * adapter) and the two remote daemons, whose announcements point their federation
 * endpoints at strict test receivers.
 */
const ACK_TIMEOUT_MS = 3000;
const PER_DESTINATION = 16;
const STUCK = 1000;

describe('one silent destination among healthy ones', () => {
  const sender = new TestServer({
    serverId: 'dlv-iso-s',
    host: '127.0.0.110',
    env: {
      ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      RETRY_DELAY_MS: '1000',
      DELIVERY_ATTEMPTS: '3',
      DELIVERY_BREAKER_THRESHOLD: '5',
      // Only a sign of life may bring the probe forward in this test.
      DELIVERY_PROBE_INTERVAL_MS: '600000',
      DELIVERY_DESTINATION_MAX_IN_FLIGHT: String(PER_DESTINATION),
      LOG_LEVEL: 'info',
    },
  });
  const silentPeer = new TestServer({
    serverId: 'dlv-silent',
    host: '127.0.0.111',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.0.112:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.0.110:4100/discovery',
    },
  });
  const healthyPeer = new TestServer({
    serverId: 'dlv-healthy',
    host: '127.0.0.113',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.0.114:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.0.110:4100/discovery',
    },
  });
  let silentMode: ReceiverBehaviour = 'silent';
  let silent: StrictReceiver;
  let healthy: StrictReceiver;
  const stuck: string[] = [];
  const adapter = () => sender.adapter!.baseUrl;
  const keyPem = (server: TestServer) =>
    readFileSync(join(server.dataDir, 'server-key.pem'), 'utf8');

  beforeAll(async () => {
    // Fresh pins and queues even on a database kept between runs.
    await sender.dropSchemas();
    await silentPeer.dropSchemas();
    await healthyPeer.dropSchemas();
    await sender.start();
    await silentPeer.start();
    await healthyPeer.start();
    silent = await new StrictReceiver({
      serverId: 'dlv-silent',
      privateKeyPem: keyPem(silentPeer),
      host: '127.0.0.112',
      port: 4200,
      plan: () => silentMode,
    }).start();
    healthy = await new StrictReceiver({
      serverId: 'dlv-healthy',
      privateKeyPem: keyPem(healthyPeer),
      host: '127.0.0.114',
      port: 4200,
    }).start();
    await call(adapter(), 'POST', '/api/v1/users', { user_id: 'u1', username: 'sam' });
    for (const id of ['dlv-silent', 'dlv-healthy'])
      await eventually(
        async () =>
          (await call(sender.discovery.baseUrl, 'POST', `/api/v1/route/${id}`)).status === 200,
        20_000,
        `the sender to resolve ${id}`,
      );
  });

  afterAll(async () => {
    await silent?.close();
    await healthy?.close();
    await sender.stop();
    await silentPeer.stop();
    await healthyPeer.stop();
  });

  async function send(to: string, content: string): Promise<string> {
    const res = await call(adapter(), 'POST', '/api/v1/messages', {
      sender_user_id: 'u1',
      to,
      content,
    });
    expect(res.status).toBe(202);
    return res.body.message_id as string;
  }

  async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<void>) {
    for (let i = 0; i < items.length; i += size)
      await Promise.all(items.slice(i, i + size).map(each));
  }

  async function deliveredWithin(id: string): Promise<number> {
    const started = Date.now();
    await eventually(
      async () =>
        (await call(adapter(), 'GET', `/api/v1/messages/${id}`)).body.status === 'delivered',
      10_000,
      `${id} to be delivered`,
      10,
    );
    return Date.now() - started;
  }

  it('delivers a page to a healthy destination in under 1 s while 1,000 pages hang on a silent one', async () => {
    const queueStarted = Date.now();
    // One healthy page early, while the silent destination's first attempts hang (ack timeout).
    let duringHangMs = -1;
    let hangProbe: Promise<void> | undefined;
    await inBatches(
      Array.from({ length: STUCK }, (_, i) => i),
      50,
      async (i) => {
        stuck.push(await send('nobody@dlv-silent', `stuck page ${i}`));
        if (i === 100)
          hangProbe = (async () => {
            const early = await send('alex@dlv-healthy', 'a page while the others hang');
            duringHangMs = await deliveredWithin(early);
            expect(silent.requests.length).toBeGreaterThan(0);
          })();
      },
    );
    await hangProbe;
    const queuedMs = Date.now() - queueStarted;
    const startedMs = Date.now();
    const id = await send('alex@dlv-healthy', 'the healthy page');
    await deliveredWithin(id);
    const latencyMs = Date.now() - startedMs;
    // While the silent destination's first attempts hang (ack timeout 3 s) and the rest wait.
    const second = await send('alex@dlv-healthy', 'another healthy page');
    const latency2Ms = await deliveredWithin(second);
    console.log(
      `isolation: healthy page during the hang of the first silent attempts: ${duringHangMs} ms; ` +
        `${STUCK} pages queued to the silent destination in ${queuedMs} ms; ` +
        `healthy page delivered in ${latencyMs} ms, then ${latency2Ms} ms (ack timeout ${ACK_TIMEOUT_MS} ms)`,
    );
    expect(duringHangMs).toBeGreaterThanOrEqual(0);
    expect(duringHangMs).toBeLessThan(1000);
    expect(latencyMs).toBeLessThan(1000);
    expect(latency2Ms).toBeLessThan(1000);
    expect(healthy.copiesOf(id)).toHaveLength(1);
    // Never more than the per-destination cap hanging on the silent one at once.
    expect(silent.requests.length).toBeLessThanOrEqual(PER_DESTINATION * 2);
  });

  it('holds the silent pages as unreachable without spending attempts', async () => {
    const view = await eventually(
      async () => {
        const d = (await call(adapter(), 'GET', '/api/v1/destinations/dlv-silent')).body;
        return d.state === 'unreachable' && d.pages_in_flight === 0 ? d : undefined;
      },
      20_000,
      'dlv-silent to be unreachable with nothing in flight',
    );
    expect(view).toMatchObject({ server_id: 'dlv-silent', pages_waiting: STUCK });
    expect(view.reason).toContain('consecutive');
    const requestsThen = silent.requests.length;
    await new Promise((r) => setTimeout(r, 2 * (ACK_TIMEOUT_MS + 1000)));
    expect(silent.requests.length).toBe(requestsThen);
    let attempts = 0;
    let unsettled = 0;
    await inBatches(stuck, 50, async (id) => {
      const s = (await call(adapter(), 'GET', `/api/v1/messages/${id}`)).body;
      attempts += s.attempts;
      if (s.status === 'queued' || s.status === 'sending') unsettled++;
    });
    console.log(
      `isolation: breaker open after ${requestsThen} requests; ${attempts} attempts spent by ${STUCK} waiting pages`,
    );
    expect(unsettled).toBe(STUCK);
    expect(attempts).toBe(requestsThen);
    expect(attempts).toBeLessThanOrEqual(PER_DESTINATION * 2);
    const list = (await call(adapter(), 'GET', '/api/v1/destinations?state=unreachable')).body;
    expect(list.destinations.map((d: { server_id: string }) => d.server_id)).toEqual([
      'dlv-silent',
    ]);
    // The gauges the alerts read (k8s/observability): one unreachable destination, and the
    // waiting pages as old as the first of them.
    const metrics = String((await call(adapter(), 'GET', '/metrics')).body);
    expect(metrics).toMatch(/^adapter_destinations\{[^}]*state="unreachable"[^}]*\} 1$/m);
    const age = Number(
      /^adapter_outbox_oldest_age_seconds(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1],
    );
    expect(age).toBeGreaterThan(1);
  });

  it('delivers every waiting page exactly once when the destination shows a sign of life', async () => {
    silentMode = 'ack';
    const requestsBefore = silent.requests.length;
    const key = parsePrivateKey(keyPem(silentPeer));
    const inbound = signObject(
      {
        version: '1.0',
        message_id: newMessageId(),
        message_type: 'pager',
        from: 'ops@dlv-silent',
        to: 'sam@dlv-iso-s',
        content: 'we are back',
        priority: 1,
        timestamp: formatProtocolTimestamp(Date.now()),
        sender_fingerprint: fingerprint(createPublicKey(key)),
      },
      key,
    );
    const startedMs = Date.now();
    const ack = await call(adapter(), 'POST', '/federation/messages', inbound);
    expect(ack.body.status).toBe('delivered');
    await eventually(
      async () => {
        const d = (await call(adapter(), 'GET', '/api/v1/destinations/dlv-silent')).body;
        return d.state === 'healthy' && d.pages_waiting === 0 && d.pages_in_flight === 0;
      },
      120_000,
      'the waiting pages to flow',
      250,
    );
    const flowedMs = Date.now() - startedMs;
    let delivered = 0;
    await inBatches(stuck, 50, async (id) => {
      if ((await call(adapter(), 'GET', `/api/v1/messages/${id}`)).body.status === 'delivered')
        delivered++;
    });
    const after = silent.requests.slice(requestsBefore);
    console.log(
      `isolation: sign of life -> ${STUCK} pages delivered in ${flowedMs} ms with ${after.length} requests`,
    );
    expect(delivered).toBe(STUCK);
    // Exactly once: one request per page after the recovery, one stored copy each.
    expect(after).toHaveLength(STUCK);
    expect(new Set(after.map((r) => r.message.message_id)).size).toBe(STUCK);
    for (const id of stuck) expect(silent.copiesOf(id)).toHaveLength(1);
    const states = sender.adapter!.events('federation.destination_state');
    expect(states.filter((e) => e.destination === 'dlv-silent').map((e) => [e.from, e.to])).toEqual(
      [
        ['healthy', 'backing_off'],
        ['backing_off', 'unreachable'],
        ['unreachable', 'healthy'],
      ],
    );
  });
});
