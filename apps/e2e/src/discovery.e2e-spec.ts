import { TestServer, call, eventually } from '@pager/testing';

/**
 * Real discovery daemons, each a separate process on its own loopback address, gossiping
 * with short intervals. Server ids are single-label names (allowed by docs/protocol.md §1).
 */
interface PeerView {
  server_id: string;
  timestamp: string;
  blocked: boolean;
  neighbor: boolean;
}

async function peersOf(server: TestServer): Promise<PeerView[]> {
  const response = await call(server.discovery.baseUrl, 'GET', '/api/v1/peers');
  expect(response.status).toBe(200);
  return response.body.peers as PeerView[];
}

/** The servers a daemon knows, itself included (`/api/v1/peers` lists only the others). */
async function knownIds(server: TestServer): Promise<Set<string>> {
  return new Set([server.serverId, ...(await peersOf(server)).map((peer) => peer.server_id)]);
}

function daemon(id: string, host: string, env: Record<string, string> = {}): TestServer {
  return new TestServer({ serverId: id, host, withAdapter: false, env });
}

const CONVERGENCE_BOUND_MS = 30_000;

describe('discovery daemons gossiping on loopback', () => {
  const servers: TestServer[] = [];
  const started = (server: TestServer) => {
    servers.push(server);
    return server.start();
  };

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
  });

  it('five daemons with one bootstrap server all list each other within the bound', async () => {
    const bootstrap = daemon('s1', '127.0.0.11');
    await started(bootstrap);
    const bootstrapUrl = `${bootstrap.discovery.baseUrl}/discovery`;
    const others = ['s2', 's3', 's4', 's5'].map((id, i) =>
      daemon(id, `127.0.0.${12 + i}`, { BOOTSTRAP_SERVERS: bootstrapUrl }),
    );
    await Promise.all(others.map(started));
    const all = ['s1', 's2', 's3', 's4', 's5'];
    const began = Date.now();
    await eventually(
      async () => {
        for (const server of servers) {
          const known = await knownIds(server);
          if (!all.every((id) => known.has(id))) return false;
        }
        return true;
      },
      CONVERGENCE_BOUND_MS,
      'all five daemons to know each other',
    );
    process.stdout.write(`five daemons converged in ${Date.now() - began} ms\n`);
  });

  it('a sixth daemon joins and becomes known by all', async () => {
    const sixth = daemon('s6', '127.0.0.16', {
      BOOTSTRAP_SERVERS: `http://127.0.0.11:4100/discovery`,
    });
    await started(sixth);
    await eventually(
      async () => {
        for (const server of servers) {
          const known = await knownIds(server);
          if (!['s1', 's2', 's3', 's4', 's5', 's6'].every((id) => known.has(id))) return false;
        }
        return true;
      },
      CONVERGENCE_BOUND_MS,
      'all six daemons to know each other',
    );
  });

  it('a daemon restarted without bootstrap servers rejoins and learns what changed meanwhile', async () => {
    const s3 = servers.find((server) => server.serverId === 's3')!;
    await s3.stop();
    const seventh = daemon('s7', '127.0.0.17', {
      BOOTSTRAP_SERVERS: `http://127.0.0.11:4100/discovery`,
    });
    await started(seventh);
    const restarted = new TestServer({
      ...s3.options,
      env: { ...s3.options.env, BOOTSTRAP_SERVERS: '' },
    });
    // Same data: the key and the database schema of the stopped daemon.
    Object.assign(restarted, { dataDir: s3.dataDir });
    restarted.discovery.options.env.DATA_DIR = s3.dataDir;
    servers.splice(servers.indexOf(s3), 1, restarted);
    await restarted.start();
    await eventually(
      async () => (await knownIds(restarted)).has('s7'),
      CONVERGENCE_BOUND_MS,
      's3 to learn s7',
    );
    await eventually(
      async () => (await knownIds(seventh)).has('s3'),
      CONVERGENCE_BOUND_MS,
      's7 to learn s3',
    );
  });

  it("a blocked server's new announcements are neither stored nor passed on by the blocker", async () => {
    const s2 = servers.find((server) => server.serverId === 's2')!;
    const s4 = servers.find((server) => server.serverId === 's4')!;
    const before = (await peersOf(s2)).find((peer) => peer.server_id === 's4')!;
    const put = await call(s2.discovery.baseUrl, 'PUT', '/api/v1/blocklist/s4', {
      reason: 'e2e test',
    });
    expect(put.status).toBe(200);
    const announced = await call(s4.discovery.baseUrl, 'POST', '/api/v1/announce');
    expect(announced.status).toBe(200);
    const fresh = announced.body.timestamp as string;
    expect(fresh).not.toBe(before.timestamp);
    // Everyone else picks the new announcement up...
    const s1 = servers.find((server) => server.serverId === 's1')!;
    await eventually(
      async () => (await peersOf(s1)).find((peer) => peer.server_id === 's4')?.timestamp === fresh,
      CONVERGENCE_BOUND_MS,
      's1 to see the fresh s4 announcement',
    );
    // ...while the blocker keeps listing the old entry, marked blocked, and never the new one.
    await new Promise((r) => setTimeout(r, 3000));
    const seenByBlocker = (await peersOf(s2)).find((peer) => peer.server_id === 's4')!;
    expect(seenByBlocker.blocked).toBe(true);
    expect(seenByBlocker.timestamp).toBe(before.timestamp);
    const blocklist = await call(s2.discovery.baseUrl, 'GET', '/api/v1/blocklist');
    expect(blocklist.body.blocked.map((entry: { server_id: string }) => entry.server_id)).toContain(
      's4',
    );
  });

  it('a server blocked everywhere cannot spread its announcement at all', async () => {
    for (const server of servers) {
      const response = await call(server.discovery.baseUrl, 'PUT', '/api/v1/blocklist/s8', {
        reason: 'spam',
      });
      expect(response.status).toBe(200);
    }
    const outcast = daemon('s8', '127.0.0.18', {
      BOOTSTRAP_SERVERS: `http://127.0.0.11:4100/discovery`,
    });
    await started(outcast);
    await new Promise((r) => setTimeout(r, 4000));
    for (const server of servers.filter((s) => s !== outcast)) {
      expect((await knownIds(server)).has('s8')).toBe(false);
    }
  });
});

describe('domain resolution by query flooding', () => {
  // Periodic gossip is effectively off (1 h), so each daemon knows only what its bootstrap
  // exchange taught it: t1 knows t2; t2 knows t1, t3; t3 knows t4. t4 is two hops from t1.
  const quiet = { GOSSIP_INTERVAL_MS: '3600000', GOSSIP_JITTER_MS: '0' };
  const chain: TestServer[] = [];

  afterAll(async () => {
    await Promise.all(chain.map((server) => server.stop().catch(() => undefined)));
  });

  it('resolves a server two hops away and caches the answer', async () => {
    const t2 = daemon('t2', '127.0.0.22', quiet);
    chain.push(t2);
    await t2.start();
    const t1 = daemon('t1', '127.0.0.21', {
      ...quiet,
      BOOTSTRAP_SERVERS: 'http://127.0.0.22:4100/discovery',
    });
    chain.push(t1);
    await t1.start();
    await eventually(async () => (await knownIds(t1)).has('t2'), 10_000, 't1 to know t2');
    const t3 = daemon('t3', '127.0.0.23', {
      ...quiet,
      BOOTSTRAP_SERVERS: 'http://127.0.0.22:4100/discovery',
    });
    chain.push(t3);
    await t3.start();
    await eventually(async () => (await knownIds(t2)).has('t3'), 10_000, 't2 to know t3');
    const t4 = daemon('t4', '127.0.0.24', {
      ...quiet,
      BOOTSTRAP_SERVERS: 'http://127.0.0.23:4100/discovery',
    });
    chain.push(t4);
    await t4.start();
    await eventually(async () => (await knownIds(t3)).has('t4'), 10_000, 't3 to know t4');
    expect((await knownIds(t1)).has('t4')).toBe(false);
    expect((await knownIds(t2)).has('t4')).toBe(false);

    const routed = await call(t1.discovery.baseUrl, 'POST', '/api/v1/route/t4');
    expect(routed.status).toBe(200);
    expect(routed.body).toMatchObject({
      domain: 't4',
      server_id: 't4',
      source: 'query',
      endpoints: { discovery: 'http://127.0.0.24:4100/discovery' },
    });
    expect(routed.body.fingerprint).toMatch(/^[0-9A-F]{64}$/);

    const again = await call(t1.discovery.baseUrl, 'POST', '/api/v1/route/t4');
    expect(again.status).toBe(200);
    expect(again.body.source).toBe('cache');
    expect(again.body.fingerprint).toBe(routed.body.fingerprint);

    const self = await call(t1.discovery.baseUrl, 'POST', '/api/v1/route/t1');
    expect(self.body.source).toBe('self');
  });

  it('answers 404 domain_not_found for a server nobody knows', async () => {
    const t1 = chain.find((server) => server.serverId === 't1')!;
    const response = await call(t1.discovery.baseUrl, 'POST', '/api/v1/route/nowhere');
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('domain_not_found');
  });
});
