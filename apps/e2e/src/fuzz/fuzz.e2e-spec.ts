import { fingerprint, formatProtocolTimestamp, newGossipId, signObject } from '@pager/protocol';
import { TestServer, call, dropTestSchema, vectorKey } from '@pager/testing';
import fc from 'fast-check';
import { Client } from 'pg';
import { FuzzContext, fuzzRecipes, materialize } from './fuzz-cases';
import { FuzzSummary, StateProbe, hasErrorShape, send } from './fuzz-runner';

/**
 * Issue 9: generated and mutated requests against every public and internal endpoint of a
 * real server (both services built from dist/, real PostgreSQL). Asserts no 5xx, no reset
 * other than for oversize bodies, `{ error, message }` on every 4xx, and no change of
 * peers, pins, blocklist, reports, users, contacts, inboxes or outbox across a refused
 * request. FUZZ_CASES (default 1,500, the CI sample) and FUZZ_SEED (default 9) choose the
 * run; `npm run fuzz` runs 12,000 and prints the summary table.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 9);
const SERVER_ID = 'fuzz-a';
const PEER_ID = 'fuzz-peer.test';
const PEER = vectorKey('other-server.com');

describe('fuzz: hostile requests against a real server', () => {
  const server = new TestServer({
    serverId: SERVER_ID,
    host: '127.0.0.70',
    env: {
      LOG_LEVEL: 'error',
      GOSSIP_INTERVAL_MS: '3600000',
      RATE_LIMIT_GOSSIP_PER_HOUR: '10000000',
      RATE_LIMIT_QUERIES_PER_HOUR: '10000000',
      RATE_LIMIT_MESSAGES_PER_HOUR: '10000000',
    },
  });
  const db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  let ctx: FuzzContext;

  beforeAll(async () => {
    await dropTestSchema('d_fuzz_a');
    await dropTestSchema('a_fuzz_a');
    await server.start();
    await db.connect();
    const peerAnnouncement = signObject(
      {
        version: '1.0',
        server_id: PEER_ID,
        public_key: PEER.public_key,
        capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] },
        endpoints: {
          federation: 'http://127.0.0.71:9/federation',
          discovery: 'http://127.0.0.71:9/discovery',
        },
        timestamp: formatProtocolTimestamp(Date.now()),
      },
      PEER.privateKey,
    );
    ctx = {
      discoveryUrl: server.discovery.baseUrl,
      adapterUrl: server.adapter!.baseUrl,
      serverId: SERVER_ID,
      peerId: PEER_ID,
      peerKey: PEER.privateKey,
      peerPublicKey: PEER.public_key,
      peerFingerprint: fingerprint(PEER.public_key),
      peerAnnouncement: () => peerAnnouncement,
      userId: 'fz1',
      username: 'fuzzuser',
    };
    // The peer gossips once, so that the daemon pins and stores it; a local user exists.
    const hello = signObject(
      {
        version: '1.0',
        type: 'gossip',
        gossip_id: newGossipId(),
        from: PEER_ID,
        timestamp: formatProtocolTimestamp(Date.now()),
        digest_hash: 'a'.repeat(64),
        bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
        announcements: [peerAnnouncement],
      },
      PEER.privateKey,
    );
    expect((await call(ctx.discoveryUrl, 'POST', '/discovery/gossip', hello)).status).toBe(200);
    const user = await call(ctx.adapterUrl, 'POST', '/api/v1/users', {
      user_id: ctx.userId,
      username: ctx.username,
    });
    expect(user.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await db.end();
    await server.stop();
  });

  it(`answers ${CASES} generated requests (seed ${SEED}) without 5xx, resets, shapeless errors or state changes on refusal`, async () => {
    const recipes = fc.sample(fuzzRecipes(), { seed: SEED, numRuns: CASES });
    const probe = new StateProbe(db, 'd_fuzz_a', 'a_fuzz_a');
    const summary = new FuzzSummary();
    let before = await probe.digest();
    for (const recipe of recipes) {
      const request = materialize(recipe, ctx);
      const result = await send(request);
      const after = await probe.digest();
      summary.record({
        request,
        ...result,
        stateChanged: result.status >= 400 && after !== before,
      });
      before = after;
    }
    process.stdout.write(`\nFuzz summary (seed ${SEED}):\n${summary.table()}\n`);
    if (summary.violations.length > 0) {
      process.stdout.write(`\nFirst violations:\n${summary.examples(20).join('\n')}\n`);
    }
    // Both services still serve.
    expect((await call(ctx.discoveryUrl, 'GET', '/health/ready')).status).toBe(200);
    expect((await call(ctx.adapterUrl, 'GET', '/health/ready')).status).toBe(200);
    expect(summary.total).toBe(CASES);
    expect(summary.examples(20)).toEqual([]);
  }, 1_800_000);

  // Errors raised by the HTTP layer before any route runs: a malformed percent-escape in the
  // path (fastify FST_ERR_BAD_URL) and a request line over Node's 16 KiB header limit (431)
  // get { error, message } from server-kit's error handling too.
  it('gives framework routing and parsing errors the one error shape', async () => {
    const refused = [
      await send({
        endpoint: 'framework',
        service: 'discovery',
        method: 'PUT',
        url: `${ctx.discoveryUrl}/api/v1/blocklist/%ZZ`,
        body: '{"reason":"x"}',
        contentType: 'application/json',
        oversize: false,
        mutation: 'raw',
      }),
      await send({
        endpoint: 'framework',
        service: 'adapter',
        method: 'GET',
        url: `${ctx.adapterUrl}/api/v1/users/${'%C3%A9'.repeat(4000)}`,
        oversize: false,
        mutation: 'raw',
      }),
    ];
    for (const result of refused) {
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(result.status).toBeLessThan(500);
      expect(hasErrorShape(result.body)).toBe(true);
    }
  });
});
