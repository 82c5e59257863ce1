import { TestServer, call, dropTestSchema, eventually, metricSum } from '@pager/testing';
import { join } from 'node:path';

/**
 * Two replicas of one server's daemon on one database (same SERVER_ID, key and schema), as
 * the Kubernetes base runs them. Peer P counts the gossip exchanges it receives: with two
 * replicas it must get as many as from one (PROTOCOL.md sections 3 and 7), and when the
 * gossiping replica is killed the other takes over within one interval. Both replicas serve
 * the endpoints throughout. Loopback 127.0.0.150 to .152.
 */
const INTERVAL_MS = 1_000;
const JITTER_MS = 100;
const WINDOW_MS = 12_000;

const timers = {
  GOSSIP_INTERVAL_MS: String(INTERVAL_MS),
  GOSSIP_JITTER_MS: String(JITTER_MS),
  RATE_LIMIT_GOSSIP_PER_HOUR: '100000',
};

const metric = (server: TestServer, series: string) => metricSum(server.discovery.baseUrl, series);

const received = (peer: TestServer) =>
  metric(peer, 'discovery_gossip_exchanges_total{role="responder",result="ok"');
const isLeader = async (replica: TestServer) =>
  (await metric(replica, 'discovery_gossip_leader')) === 1;

async function countOver(peer: TestServer, ms: number): Promise<number> {
  const before = await received(peer);
  await new Promise((r) => setTimeout(r, ms));
  return (await received(peer)) - before;
}

describe('two daemon replicas on one database', () => {
  const servers: TestServer[] = [];
  beforeAll(async () => {
    // A database kept between runs (TEST_DATABASE_URL) would still hold old pins.
    for (const schema of ['d_gr_peer', 'd_gr_main']) await dropTestSchema(schema);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  });

  it('send a peer as many exchanges as one replica, and fail over within one interval', async () => {
    const peer = new TestServer({
      serverId: 'gr-peer',
      host: '127.0.0.150',
      withAdapter: false,
      env: timers,
    });
    servers.push(peer);
    await peer.start();

    const replica = (host: string, keyDir?: string) =>
      new TestServer({
        serverId: 'gr-main',
        host,
        withAdapter: false,
        env: {
          ...timers,
          BOOTSTRAP_SERVERS: `${peer.discovery.baseUrl}/discovery`,
          // One public URL for the server, as behind a Kubernetes Service.
          DISCOVERY_PUBLIC_URL: 'http://127.0.0.151:4100/discovery',
          ...(keyDir === undefined ? {} : { PRIVATE_KEY_PATH: join(keyDir, 'server-key.pem') }),
        },
      });
    const first = replica('127.0.0.151');
    servers.push(first);
    await first.start();
    const second = replica('127.0.0.152', first.dataDir);
    servers.push(second);

    // One replica: the baseline rate.
    await eventually(() => received(peer), 15_000, 'the peer to receive gossip from gr-main');
    const one = await countOver(peer, WINDOW_MS);

    // Two replicas on the same database, key and schema.
    await second.start();
    const two = await countOver(peer, WINDOW_MS);
    const leaders = [await isLeader(first), await isLeader(second)];
    const due = WINDOW_MS / (INTERVAL_MS + JITTER_MS / 2);
    process.stdout.write(
      `replicas: ${one} exchanges per ${WINDOW_MS} ms from one replica, ${two} from two ` +
        `(${due.toFixed(1)} due); leaders ${JSON.stringify(leaders)}\n`,
    );
    expect(leaders.filter(Boolean)).toHaveLength(1);
    expect(one).toBeGreaterThanOrEqual(Math.floor(due * 0.6));
    expect(one).toBeLessThanOrEqual(Math.ceil(due) + 2);
    // Independent schedules would double it; one schedule keeps it where it was.
    expect(two).toBeLessThanOrEqual(Math.ceil(due) + 2);
    expect(two).toBeLessThanOrEqual(one + 3);

    // Both replicas serve the internal and public endpoints.
    for (const r of [first, second]) {
      expect((await call(r.discovery.baseUrl, 'GET', '/api/v1/peers')).status).toBe(200);
      expect((await call(r.discovery.baseUrl, 'GET', '/discovery/announcement')).status).toBe(200);
    }

    // Kill the gossiping replica: the other takes over within one interval.
    const [holder, other] = leaders[0] ? [first, second] : [second, first];
    const countAtKill = await received(peer);
    const killedAt = Date.now();
    await holder.discovery.kill();
    await eventually(() => isLeader(other), 5_000, 'the other replica to take over', 20);
    const leaderAfterMs = Date.now() - killedAt;
    await eventually(
      async () => (await received(peer)) > countAtKill,
      5_000,
      'an exchange from the new leader',
      20,
    );
    const exchangeAfterMs = Date.now() - killedAt;
    process.stdout.write(
      `failover: leader after ${leaderAfterMs} ms, first exchange after ${exchangeAfterMs} ms\n`,
    );
    expect(leaderAfterMs).toBeLessThanOrEqual(INTERVAL_MS);
    expect(exchangeAfterMs).toBeLessThanOrEqual(INTERVAL_MS + JITTER_MS + 500);
    const after = await countOver(peer, WINDOW_MS);
    expect(after).toBeLessThanOrEqual(Math.ceil(due) + 2);
    expect(after).toBeGreaterThanOrEqual(Math.floor(due * 0.6));
  });
});
