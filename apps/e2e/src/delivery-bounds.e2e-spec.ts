import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrictReceiver, TestServer, call, eventually } from '@pager/testing';

/**
 * Issue 7, bounded attempts: a receiver that sends the headers of its ack and then
 * trickles the body one byte at a time is cut at the ack timeout, which bounds the whole
 * attempt. Real processes: the sender (daemon + adapter) and the receiving server's daemon,
 * whose announcement points its federation endpoint at the trickling test receiver.
 */
const ACK_TIMEOUT_MS = 1500;
const RETRY_DELAY_MS = 1000;

describe('a receiver that trickles its ack', () => {
  const sender = new TestServer({
    serverId: 'dlv-sender',
    host: '127.0.0.100',
    env: {
      ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      RETRY_DELAY_MS: String(RETRY_DELAY_MS),
      DELIVERY_ATTEMPTS: '3',
    },
  });
  const peer = new TestServer({
    serverId: 'dlv-trickle',
    host: '127.0.0.101',
    withAdapter: false,
    env: {
      FEDERATION_PUBLIC_URL: 'http://127.0.0.102:4200/federation',
      BOOTSTRAP_SERVERS: 'http://127.0.0.100:4100/discovery',
    },
  });
  let receiver: StrictReceiver;

  beforeAll(async () => {
    // Fresh pins and queues even on a database kept between runs.
    await sender.dropSchemas();
    await peer.dropSchemas();
    await sender.start();
    await peer.start();
    receiver = await new StrictReceiver({
      serverId: 'dlv-trickle',
      privateKeyPem: readFileSync(join(peer.dataDir, 'server-key.pem'), 'utf8'),
      host: '127.0.0.102',
      port: 4200,
      plan: () => 'trickle',
      trickleMs: 100,
    }).start();
    await call(sender.adapter!.baseUrl, 'POST', '/api/v1/users', {
      user_id: 'u1',
      username: 'sam',
    });
    await eventually(
      async () =>
        (await call(sender.discovery.baseUrl, 'POST', '/api/v1/route/dlv-trickle')).status === 200,
      20_000,
      'the sender to resolve dlv-trickle',
    );
  });

  afterAll(async () => {
    await receiver?.close();
    await sender.stop();
    await peer.stop();
  });

  it('cuts each attempt at the ack timeout: 3 requests, failed after 3 timeouts and 2 delays, one final log line', async () => {
    const startedMs = Date.now();
    const response = await call(sender.adapter!.baseUrl, 'POST', '/api/v1/messages', {
      sender_user_id: 'u1',
      to: 'anyone@dlv-trickle',
      content: 'are you there?',
    });
    expect(response.status).toBe(202);
    const id = response.body.message_id as string;
    const state = await eventually(
      async () => {
        const s = (await call(sender.adapter!.baseUrl, 'GET', `/api/v1/messages/${id}`)).body;
        return s.status === 'failed' ? s : undefined;
      },
      30_000,
      'the page to fail',
      50,
    );
    const elapsedMs = Date.now() - startedMs;
    const expectedMs = 3 * ACK_TIMEOUT_MS + 2 * RETRY_DELAY_MS;
    console.log(`trickle: failed after ${elapsedMs} ms (3 x timeout + 2 x delay = ${expectedMs})`);
    expect(state).toMatchObject({ status: 'failed', attempts: 3, last_error: 'ack_timeout' });
    expect(elapsedMs).toBeGreaterThanOrEqual(expectedMs - 100);
    expect(elapsedMs).toBeLessThan(expectedMs + 2500);

    // Nothing more leaves once the page has failed.
    await new Promise((r) => setTimeout(r, 2 * (ACK_TIMEOUT_MS + RETRY_DELAY_MS)));
    const requests = receiver.requestsFor(id);
    expect(requests).toHaveLength(3);
    const gaps = requests.slice(1).map((r, i) => r.atMs - requests[i].atMs);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS + RETRY_DELAY_MS - 100);
      expect(gap).toBeLessThan(ACK_TIMEOUT_MS + RETRY_DELAY_MS + 1000);
    }

    const adapter = sender.adapter!;
    const attempts = adapter
      .events('federation.delivery_attempt')
      .filter((e) => e.message_id === id);
    expect(attempts.map((e) => [e.attempt, e.error])).toEqual([
      [1, 'ack_timeout'],
      [2, 'ack_timeout'],
      [3, 'ack_timeout'],
    ]);
    for (const attempt of attempts) {
      expect(attempt.duration_ms).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 50);
      expect(attempt.duration_ms).toBeLessThan(ACK_TIMEOUT_MS + 500);
    }
    const finals = ['federation.delivery_failed', 'federation.message_delivered'].flatMap((name) =>
      adapter.events(name).filter((e) => e.message_id === id),
    );
    expect(finals).toHaveLength(1);
    // The final outcome is the last line about this page.
    const lines = readFileSync(adapter.options.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(id));
    expect(lines[lines.length - 1]).toContain('"event":"federation.delivery_failed"');
  });
});
