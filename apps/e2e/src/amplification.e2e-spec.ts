import { formatProtocolTimestamp, newMessageId, signObject } from '@pager/protocol';
import { TestServer, call, eventually, vectorKey } from '@pager/testing';

/**
 * Issue 9, bounded amplification: 500 messages "from" 500 invented domains, sent from one
 * address, make the adapter ask its daemon for 500 unknown senders. Each unknown domain
 * would cost a flood (a query to every neighbour, counted against our query limit there);
 * the daemon's sender-lookup budget (SENDER_LOOKUP_FLOODS_PER_CLIENT_PER_MINUTE, default 2)
 * allows 2 of them, the rest get 429 rate_limited. Our neighbour still answers our own
 * users' look-up right after.
 */
const ATTACKER = vectorKey('mirah.example.com');
const LONG = { GOSSIP_INTERVAL_MS: '3600000', GOSSIP_JITTER_MS: '0', LOG_LEVEL: 'warn' };

async function metric(base: string, name: string, labels: string): Promise<number> {
  const text = (await call(base, 'GET', '/metrics')).body as string;
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

async function knows(server: TestServer, id: string): Promise<boolean> {
  const peers = (await call(server.discovery.baseUrl, 'GET', '/api/v1/peers')).body.peers as {
    server_id: string;
  }[];
  return peers.some((p) => p.server_id === id);
}

describe('amplification: resolving unknown senders is bounded', () => {
  // b is a's only neighbour; d is known to b only, so a resolving d needs a flood.
  const b = new TestServer({
    serverId: 'amp-b',
    host: '127.0.0.73',
    withAdapter: false,
    env: { ...LONG, RATE_LIMIT_QUERIES_PER_HOUR: '20' },
  });
  const a = new TestServer({
    serverId: 'amp-a',
    host: '127.0.0.72',
    env: { ...LONG, BOOTSTRAP_SERVERS: 'http://127.0.0.73:4100/discovery' },
  });
  const d = new TestServer({
    serverId: 'amp-d',
    host: '127.0.0.74',
    withAdapter: false,
    env: { ...LONG, BOOTSTRAP_SERVERS: 'http://127.0.0.73:4100/discovery' },
  });

  beforeAll(async () => {
    await b.start();
    await a.start();
    await eventually(async () => (await knows(a, 'amp-b')) && knows(b, 'amp-a'), 20_000, 'a and b');
    await d.start();
    await eventually(() => knows(b, 'amp-d'), 20_000, 'b to know d');
    expect(await knows(a, 'amp-d')).toBe(false);
    expect(
      (
        await call(a.adapter!.baseUrl, 'POST', '/api/v1/users', {
          user_id: 'v1',
          username: 'victim',
        })
      ).status,
    ).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await d.stop();
    await a.stop();
    await b.stop();
  });

  it('500 messages from 500 invented domains cost 2 floods; a real look-up then succeeds', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const message = signObject(
        {
          version: '1.0',
          message_id: newMessageId(),
          message_type: 'pager',
          from: `eve@invented-${i}.example`,
          to: 'victim@amp-a',
          content: 'wake up',
          priority: 2,
          timestamp: formatProtocolTimestamp(Date.now()),
          sender_fingerprint: ATTACKER.fingerprint,
        },
        ATTACKER.privateKey,
      );
      const { status, body } = await call(
        a.adapter!.baseUrl,
        'POST',
        '/federation/messages',
        message,
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 429) expect(body.error).toBe('rate_limited');
    }
    const flooded = await metric(
      a.discovery.baseUrl,
      'discovery_sender_lookups_total',
      'result="flooded"',
    );
    const refused = await metric(
      a.discovery.baseUrl,
      'discovery_sender_lookups_total',
      'result="refused_client"',
    );
    const relayedAtB = await metric(b.discovery.baseUrl, 'discovery_queries_total', 'role="relay"');
    process.stdout.write(
      `\namplification: 500 messages from 500 invented domains → statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `floods ${flooded}, refused by the budget ${refused}, queries the neighbour received ${relayedAtB}\n`,
    );
    expect(flooded).toBe(2);
    expect(refused).toBe(498);
    expect(statuses.get(401)).toBe(2); // unknown_server, after a flood found nothing
    expect(statuses.get(429)).toBe(498);
    expect(relayedAtB).toBeLessThanOrEqual(2);

    // Our users' own look-up (no client address) still floods, and b still answers it.
    const routed = await call(a.discovery.baseUrl, 'POST', '/api/v1/route/amp-d');
    expect([routed.status, routed.body.source, routed.body.server_id]).toEqual([
      200,
      'query',
      'amp-d',
    ]);
  }, 120_000);
});
