import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceProcess, StrictReceiver, TestServer, call, eventually } from '@pager/testing';

/**
 * Issue 7: two adapter replicas of one server on one database never send a page twice,
 * respect one per-destination cap between them, and share destination state (what one
 * sees and what an operator sets through one holds for the other).
 */
const ACK_TIMEOUT_MS = 2000;
const PER_DESTINATION = 4;
const PAGES = 200;

describe('two adapter replicas on one database', () => {
  const server = new TestServer({
    serverId: 'dlv-rep',
    host: '127.0.0.120',
    env: {
      ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      RETRY_DELAY_MS: '500',
      DELIVERY_ATTEMPTS: '3',
      DELIVERY_BREAKER_THRESHOLD: '3',
      DELIVERY_PROBE_INTERVAL_MS: '600000',
      DELIVERY_DESTINATION_MAX_IN_FLIGHT: String(PER_DESTINATION),
      LOG_LEVEL: 'info',
    },
  });
  let replicaB: ServiceProcess;
  const okPeer = new TestServer({
    serverId: 'dlv-rep-ok',
    host: '127.0.0.122',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.0.123:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.0.120:4100/discovery',
    },
  });
  const silentPeer = new TestServer({
    serverId: 'dlv-rep-silent',
    host: '127.0.0.124',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.0.125:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.0.120:4100/discovery',
    },
  });
  let ok: StrictReceiver;
  let silent: StrictReceiver;
  const a = () => server.adapter!.baseUrl;
  const b = () => replicaB.baseUrl;

  beforeAll(async () => {
    // Fresh pins and queues even on a database kept between runs.
    await server.dropSchemas();
    await okPeer.dropSchemas();
    await silentPeer.dropSchemas();
    await server.start();
    const envA = server.adapter!.options.env;
    replicaB = new ServiceProcess({
      service: 'adapter',
      baseUrl: 'http://127.0.0.121:4200',
      logFile: join(server.dataDir, 'adapter-b.log'),
      env: { ...envA, BIND_ADDRESS: '127.0.0.121' },
    });
    await replicaB.start();
    await okPeer.start();
    await silentPeer.start();
    ok = await new StrictReceiver({
      serverId: 'dlv-rep-ok',
      privateKeyPem: readFileSync(join(okPeer.dataDir, 'server-key.pem'), 'utf8'),
      host: '127.0.0.123',
      port: 4200,
    }).start();
    silent = await new StrictReceiver({
      serverId: 'dlv-rep-silent',
      privateKeyPem: readFileSync(join(silentPeer.dataDir, 'server-key.pem'), 'utf8'),
      host: '127.0.0.125',
      port: 4200,
      plan: () => 'silent',
    }).start();
    await call(a(), 'POST', '/api/v1/users', { user_id: 'u1', username: 'sam' });
    for (const id of ['dlv-rep-ok', 'dlv-rep-silent'])
      await eventually(
        async () =>
          (await call(server.discovery.baseUrl, 'POST', `/api/v1/route/${id}`)).status === 200,
        20_000,
        `the daemon to resolve ${id}`,
      );
  });

  afterAll(async () => {
    await ok?.close();
    await silent?.close();
    await replicaB?.stop();
    await server.stop();
    await okPeer.stop();
    await silentPeer.stop();
  });

  async function send(base: string, to: string, content: string): Promise<string> {
    const res = await call(base, 'POST', '/api/v1/messages', { sender_user_id: 'u1', to, content });
    expect(res.status).toBe(202);
    return res.body.message_id as string;
  }

  it('never sends a page twice when both replicas work one queue', async () => {
    const ids: string[] = [];
    for (let i = 0; i < PAGES; i += 20)
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            send((i + j) % 2 === 0 ? a() : b(), 'alex@dlv-rep-ok', `page ${i + j}`),
          ),
        )),
      );
    await eventually(
      async () => {
        const d = (await call(b(), 'GET', '/api/v1/destinations/dlv-rep-ok')).body;
        return d.pages_waiting === 0 && d.pages_in_flight === 0;
      },
      60_000,
      'every page to be sent',
    );
    for (const id of ids) {
      expect(ok.requestsFor(id)).toHaveLength(1);
      expect(ok.copiesOf(id)).toHaveLength(1);
    }
    // A page's final line is written after its final status commits and reaches us through
    // the replica's stdout pipe: wait for the lines, then count them exactly.
    const delivered = () =>
      server.adapter!.events('federation.message_delivered').length +
      replicaB.events('federation.message_delivered').length;
    await eventually(
      async () => (delivered() >= PAGES ? true : undefined),
      10_000,
      'every message_delivered line to reach the logs',
    );
    // Both replicas took part.
    const byA = server.adapter!.events('federation.message_delivered').length;
    const byB = replicaB.events('federation.message_delivered').length;
    console.log(`replicas: ${PAGES} pages sent once each, ${byA} by replica A, ${byB} by B`);
    expect(byA + byB).toBe(PAGES);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
  });

  it('holds one per-destination cap between them and shares the breaker and the operator stop', async () => {
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(i % 2 === 0 ? a() : b(), 'nobody@dlv-rep-silent', `stuck ${i}`),
      ),
    );
    // Within the first ack timeout, no more than the cap hangs on the silent destination.
    await new Promise((r) => setTimeout(r, ACK_TIMEOUT_MS - 300));
    expect(silent.requests.length).toBeLessThanOrEqual(PER_DESTINATION);
    expect(silent.requests.length).toBeGreaterThan(0);
    // Replica B sees the breaker that attempts of either replica opened.
    await eventually(
      async () =>
        (await call(b(), 'GET', '/api/v1/destinations/dlv-rep-silent')).body.state ===
        'unreachable',
      20_000,
      'dlv-rep-silent to be unreachable',
    );
    expect((await call(a(), 'GET', '/api/v1/destinations/dlv-rep-silent')).body.state).toBe(
      'unreachable',
    );
    // An operator stops it through replica A: pages queued through B end failed too.
    const stop = await call(a(), 'PUT', '/api/v1/destinations/dlv-rep-silent/delivery', {
      state: 'stopped',
      reason: 'peer down for maintenance',
    });
    expect(stop.body.state).toBe('stopped');
    await eventually(
      async () => {
        const states = await Promise.all(
          ids.map(async (id) => (await call(b(), 'GET', `/api/v1/messages/${id}`)).body),
        );
        return states.every((s) => s.status === 'failed' && s.last_error === 'delivery_stopped');
      },
      20_000,
      'the stuck pages to end delivery_stopped',
    );
    expect(
      (await call(b(), 'GET', '/api/v1/destinations?state=stopped')).body.destinations.map(
        (d: { server_id: string; reason: string }) => [d.server_id, d.reason],
      ),
    ).toEqual([['dlv-rep-silent', 'peer down for maintenance']]);
  });
});
