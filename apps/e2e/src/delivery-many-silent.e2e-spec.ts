import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrictReceiver, TestServer, call, eventually } from '@pager/testing';

/**
 * Several silent destinations at once (independent audit, 2026-12-01): four servers that
 * accept connections and never answer, each with more pages than the per-destination cap
 * (default 32), used to take all 128 slots of the sender's replica (4 × 32) for a whole ack
 * timeout, and a page to a healthy server waited for them (14 s with a 20 s timeout).
 * Destinations that have not acked yet now hold at most `UNPROVEN_MAX_IN_FLIGHT` (4) each,
 * and unproven destinations together at most half of the slots, so the healthy page goes at
 * once. Real processes: the sender (daemon + adapter), five remote daemons whose
 * announcements point their federation endpoints at strict test receivers.
 */
const ACK_TIMEOUT_MS = 8000;
const SILENT = 4;
const PAGES_EACH = 40;

describe('four silent destinations and a healthy one', () => {
  const sender = new TestServer({
    serverId: 'dlv-many-s',
    host: '127.0.1.50',
    env: {
      ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      RETRY_DELAY_MS: '1000',
      DELIVERY_ATTEMPTS: '3',
      LOG_LEVEL: 'info',
    },
  });
  const peerId = (i: number) => `dlv-mute${i}`;
  const silentPeers = Array.from(
    { length: SILENT },
    (_, i) =>
      new TestServer({
        serverId: peerId(i),
        host: `127.0.1.${51 + 2 * i}`,
        withAdapter: false,
        env: {
          FEDERATION_PUBLIC_URL: `http://127.0.1.${52 + 2 * i}:4200/federation`,
          BOOTSTRAP_SERVERS: 'http://127.0.1.50:4100/discovery',
        },
      }),
  );
  const healthyPeer = new TestServer({
    serverId: 'dlv-fine',
    host: '127.0.1.59',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.1.60:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.1.50:4100/discovery',
    },
  });
  const receivers: StrictReceiver[] = [];
  let healthy: StrictReceiver;
  const adapter = () => sender.adapter!.baseUrl;
  const keyPem = (server: TestServer) =>
    readFileSync(join(server.dataDir, 'server-key.pem'), 'utf8');

  beforeAll(async () => {
    const all = [sender, ...silentPeers, healthyPeer];
    for (const server of all) await server.dropSchemas();
    await sender.start();
    await Promise.all([...silentPeers, healthyPeer].map((s) => s.start()));
    for (const [i, peer] of silentPeers.entries())
      receivers.push(
        await new StrictReceiver({
          serverId: peerId(i),
          privateKeyPem: keyPem(peer),
          host: `127.0.1.${52 + 2 * i}`,
          port: 4200,
          plan: () => 'silent',
        }).start(),
      );
    healthy = await new StrictReceiver({
      serverId: 'dlv-fine',
      privateKeyPem: keyPem(healthyPeer),
      host: '127.0.1.60',
      port: 4200,
    }).start();
    await call(adapter(), 'POST', '/api/v1/users', { user_id: 'u1', username: 'sam' });
    for (const id of [...silentPeers.map((_, i) => peerId(i)), 'dlv-fine'])
      await eventually(
        async () =>
          (await call(sender.discovery.baseUrl, 'POST', `/api/v1/route/${id}`)).status === 200,
        30_000,
        `the sender to resolve ${id}`,
      );
  }, 120_000);

  afterAll(async () => {
    for (const r of receivers) await r.close();
    await healthy?.close();
    await sender.stop();
    for (const peer of [...silentPeers, healthyPeer]) await peer.stop();
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

  it('delivers a page to a healthy destination at once while four silent ones hold pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < SILENT; i++)
      for (let batch = 0; batch < PAGES_EACH; batch += 20)
        ids.push(
          ...(await Promise.all(
            Array.from({ length: 20 }, (_, k) => send(`nobody@${peerId(i)}`, `page ${batch + k}`)),
          )),
        );
    // Every silent destination has its first attempts hanging now.
    await eventually(
      async () => receivers.every((r) => r.requests.length > 0),
      5_000,
      'each silent destination to have been tried',
    );
    const hanging = receivers.map((r) => r.requests.length);
    const startedMs = Date.now();
    const id = await send('alex@dlv-fine', 'the healthy page');
    await eventually(
      async () =>
        (await call(adapter(), 'GET', `/api/v1/messages/${id}`)).body.status === 'delivered',
      ACK_TIMEOUT_MS,
      'the healthy page to be delivered',
      20,
    );
    const latencyMs = Date.now() - startedMs;
    // While the first attempts still hang, the destinations are listed with them in flight.
    const listed = (await call(adapter(), 'GET', '/api/v1/destinations')).body.destinations as {
      server_id: string;
      pages_in_flight: number;
      pages_waiting: number;
    }[];
    console.log(
      `many silent: ${SILENT} × ${PAGES_EACH} pages hanging (requests ${hanging.join(', ')}); ` +
        `healthy page delivered in ${latencyMs} ms (ack timeout ${ACK_TIMEOUT_MS} ms)`,
    );
    expect(latencyMs).toBeLessThan(2000);
    expect(healthy.copiesOf(id)).toHaveLength(1);
    // No silent destination holds more than the unproven cap before its first timeout.
    for (const n of hanging) expect(n).toBeLessThanOrEqual(4);
    for (let i = 0; i < SILENT; i++) {
      const d = listed.find((x) => x.server_id === peerId(i));
      expect(d).toBeDefined();
      expect(d!.pages_in_flight + d!.pages_waiting).toBe(PAGES_EACH);
    }
    expect(ids).toHaveLength(SILENT * PAGES_EACH);
  }, 90_000);
});
