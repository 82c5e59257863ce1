/**
 * `npm run bench:route-flood`: uncached `POST /api/v1/route/{domain}` resolved by query
 * flooding over 1 to 5 hops among real daemons (issue 13).
 *
 * Six built daemons a0…a5 on 127.0.0.192–197, periodic gossip off (1 h), started in order,
 * each with BOOTSTRAP_SERVERS = the previous one: the bootstrap exchange teaches a newcomer
 * what its predecessor knows and the predecessor only the newcomer, so a(i) knows a(0…i−1)
 * and a(i+1). a5 alone holds the targets: --lookups × 5 invented servers (distinct RSA-2048
 * keys, endpoints on 127.0.0.198:9, never contacted) relayed to it by the bench as a
 * neighbour through `POST /discovery/gossip`. A look-up from a(5−h) reaches a5 in h hops.
 * Each look-up names a target never asked before (no cached answer, no negative entry, a
 * new query id); afterwards the target is blocked (operator blocklist) on every daemon but
 * a5, so that the copies the requester and the relays stored do not become neighbours of
 * later floods. Latency is the wall time of the route request on the requester, which
 * includes signing the query, each relay's verification, re-signing and forwarding, and the
 * verification and storage of the answer on the way back.
 *
 *   npm run build && flock /tmp/pager-e2e.lock node bench/lib/ts-run.js bench/route-flood/run.ts \
 *     [--lookups 50] [--svg docs/img/route-flood.svg]
 * PostgreSQL: DATABASE_URL (default 127.0.0.1:5432), database `bench_route_flood`, dropped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { linePlotSvg, percentile } from '@pager/testing';
import {
  benchKeys,
  closeAgents,
  createDatabase,
  daemon,
  dropDatabase,
  gossipEnvelope,
  inPool,
  inventedAnnouncement,
  loadAverage,
  options,
  request,
  until,
} from '../lib/kit';

const opts = options({ lookups: 50, svg: 'docs/img/route-flood.svg' });
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'bench_route_flood';
const CHAIN = 6;
const MAX_HOPS = 5;
const host = (i: number) => `127.0.0.${192 + i}`;
const base = (i: number) => `http://${host(i)}:4100`;
const log = (line: string) => process.stderr.write(`${line}\n`);
const target = (h: number, j: number) => `t${h}-${j}.bench`;

async function knows(i: number, serverId: string): Promise<boolean> {
  const reply = await request(base(i), 'GET', '/api/v1/peers?limit=1000');
  return (JSON.parse(reply.text) as { peers: { server_id: string }[] }).peers.some(
    (p) => p.server_id === serverId,
  );
}

async function main(): Promise<void> {
  const keys = await benchKeys(MAX_HOPS * opts.lookups + 1);
  const databaseUrl = await createDatabase(ADMIN_URL, DATABASE);
  const quiet = {
    GOSSIP_INTERVAL_MS: '3600000',
    GOSSIP_JITTER_MS: '0',
    RATE_LIMIT_QUERIES_PER_HOUR: '10000000',
    RATE_LIMIT_GOSSIP_PER_HOUR: '10000000',
    RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR: '1000000',
  };
  const chain = Array.from({ length: CHAIN }, (_, i) =>
    daemon({
      serverId: `a${i}.bench`,
      host: host(i),
      databaseUrl,
      env: { ...quiet, ...(i > 0 ? { BOOTSTRAP_SERVERS: `${base(i - 1)}/discovery` } : {}) },
    }),
  );
  try {
    for (let i = 0; i < CHAIN; i++) {
      await chain[i].start();
      if (i > 0) await until(() => knows(i - 1, `a${i}.bench`), 30_000, `a${i - 1} to know a${i}`);
    }
    for (let i = 0; i < CHAIN; i++) {
      for (let j = 0; j < CHAIN; j++) {
        const expected = j === i + 1 || j < i;
        if (i !== j && (await knows(i, `a${j}.bench`)) !== expected)
          throw new Error(`a${i} ${expected ? 'does not know' : 'knows'} a${j}`);
      }
    }

    // The targets, relayed to a5 by the bench (seed.bench) in envelopes of 500.
    const seedKey = keys[0];
    const seed = await inventedAnnouncement(
      'seed.bench',
      seedKey,
      'http://127.0.0.198:9',
      Date.now(),
    );
    const targets = Array.from({ length: MAX_HOPS * opts.lookups }, (_, n) => ({
      h: 1 + Math.floor(n / opts.lookups),
      id: target(1 + Math.floor(n / opts.lookups), n % opts.lookups),
      key: keys[n + 1],
    }));
    const announcements = await inPool(targets, 4, (t) =>
      inventedAnnouncement(t.id, t.key, 'http://127.0.0.198:9', Date.now()),
    );
    for (let n = 0; n < announcements.length; n += 499) {
      const reply = await request(
        base(CHAIN - 1),
        'POST',
        '/discovery/gossip',
        await gossipEnvelope('seed.bench', seedKey, [seed, ...announcements.slice(n, n + 499)]),
      );
      if (reply.status !== 200) throw new Error(`seed: ${reply.status} ${reply.text}`);
    }
    if (!(await knows(CHAIN - 1, target(MAX_HOPS, opts.lookups - 1))))
      throw new Error('a5 did not store the targets');

    const latencies = new Map<number, number[]>();
    for (let h = 1; h <= MAX_HOPS; h++) {
      const requester = CHAIN - 1 - h;
      const samples: number[] = [];
      for (let j = 0; j < opts.lookups; j++) {
        const id = target(h, j);
        const reply = await request(base(requester), 'POST', `/api/v1/route/${id}`);
        const body = JSON.parse(reply.text) as { source?: string };
        if (reply.status !== 200 || body.source !== 'query')
          throw new Error(`a${requester} → ${id}: ${reply.status} ${reply.text.slice(0, 200)}`);
        samples.push(reply.ms);
        for (let i = 0; i < CHAIN - 1; i++) {
          const blocked = await request(base(i), 'PUT', `/api/v1/blocklist/${id}`, {
            reason: 'bench: resolved once',
          });
          if (blocked.status !== 200) throw new Error(`block on a${i}: ${blocked.status}`);
        }
      }
      latencies.set(h, samples);
      log(`${h} hop(s): done; ${loadAverage()}`);
    }
    const load = loadAverage();
    const svgPath = resolve(opts.svg);
    mkdirSync(dirname(svgPath), { recursive: true });
    writeFileSync(
      svgPath,
      linePlotSvg({
        title: `Uncached route look-ups by query flooding: latency distribution per hop count`,
        xLabel: 'latency of POST /api/v1/route/{domain} (ms)',
        yLabel: 'fraction of look-ups at or below',
        series: [...latencies].map(([h, samples]) => ({
          label: `${h} hop${h > 1 ? 's' : ''}`,
          points: [...samples]
            .sort((a, b) => a - b)
            .map((ms, k, all) => [ms, (k + 1) / all.length] as [number, number]),
        })),
        yMax: 1,
      }),
    );
    const rows = [...latencies].map(
      ([h, s]) =>
        `${h} hop${h > 1 ? 's' : ' '}: p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms, max ${Math.max(...s).toFixed(1)} ms (${s.length} look-ups)`,
    );
    process.stdout.write(
      [
        `bench/route-flood: uncached look-ups by query flooding, a chain of ${CHAIN} daemons, ${opts.lookups} per hop count; ${load}`,
        ...rows,
        `plot: ${opts.svg}`,
      ].join('\n') + '\n',
    );
  } catch (err) {
    for (const d of chain) log(d.logTail(10));
    throw err;
  } finally {
    await Promise.all(chain.map((d) => d.stop().catch(() => undefined)));
    closeAgents();
    await dropDatabase(ADMIN_URL, DATABASE).catch(() => undefined);
  }
}

main().catch((err) => {
  log(String((err as Error).stack ?? err));
  process.exitCode = 1;
});
