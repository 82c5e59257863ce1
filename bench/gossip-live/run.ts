/**
 * `npm run bench:gossip-live`: 10 built discovery daemons gossiping for real (issue 13).
 *
 * Each run: a fresh database, daemons g0…g9 on 127.0.0.182–191, GOSSIP_INTERVAL_MS 1,000
 * (jitter 167 ms: the default 5 s / 30 s ratio), g1…g9 with BOOTSTRAP_SERVERS = g0 and all
 * started together. Every 250 ms the bench reads each daemon's `GET /api/v1/peers`; the
 * network has converged when all ten know all ten. Reported per run: seconds and rounds
 * (seconds / interval) from the moment the last daemon was ready, and from the first start;
 * bytes per exchange from `discovery_gossip_bytes_total` (JSON bodies of the exchanges each
 * daemon started, both directions) over `discovery_gossip_exchanges_total{role="initiator"}`
 * (+ the 9 bootstrap exchanges, which that counter leaves out), during convergence and in
 * a steady window after it. Median/max over --runs (3); a plot of
 * known servers per daemon against time (first run) goes to --svg.
 *
 *   npm run build && flock /tmp/pager-e2e.lock node bench/lib/ts-run.js bench/gossip-live/run.ts \
 *     [--runs 3] [--servers 10] [--steady 10] [--svg docs/img/gossip-live-10.svg]
 * PostgreSQL: DATABASE_URL (default 127.0.0.1:5432), database `bench_gossip_live`, dropped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { linePlotSvg, median } from '@pager/testing';
import {
  closeAgents,
  createDatabase,
  daemon,
  dropDatabase,
  loadAverage,
  metric,
  options,
  request,
  sleep,
} from '../lib/kit';

const opts = options({
  runs: 3,
  servers: 10,
  steady: 10,
  svg: 'docs/img/gossip-live-10.svg',
});
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'bench_gossip_live';
const INTERVAL_MS = 1_000;
const POLL_MS = 250;
const host = (i: number) => `127.0.0.${182 + i}`;
const base = (i: number) => `http://${host(i)}:4100`;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface RunResult {
  fromReadyS: number;
  fromStartS: number;
  convergeBytesPerExchange: number;
  convergeExchanges: number;
  steadyBytesPerExchange: number;
  steadyExchanges: number;
  curves: [number, number][][];
  load: string;
}

async function known(i: number): Promise<number> {
  const reply = await request(base(i), 'GET', '/api/v1/peers?limit=1000');
  if (reply.status !== 200) return 0;
  return (JSON.parse(reply.text) as { peers: unknown[] }).peers.length + 1; // + itself
}

async function traffic(n: number): Promise<{ bytes: number; exchanges: number }> {
  let bytes = 0;
  let exchanges = 0;
  for (let i = 0; i < n; i++) {
    bytes += await metric(base(i), 'discovery_gossip_bytes_total');
    exchanges += await metric(base(i), 'discovery_gossip_exchanges_total', 'role="initiator"');
  }
  return { bytes, exchanges };
}

async function run(index: number): Promise<RunResult> {
  const n = opts.servers;
  const databaseUrl = await createDatabase(ADMIN_URL, DATABASE);
  const daemons = Array.from({ length: n }, (_, i) =>
    daemon({
      serverId: `g${i}.bench`,
      host: host(i),
      databaseUrl,
      env: {
        GOSSIP_INTERVAL_MS: String(INTERVAL_MS),
        GOSSIP_JITTER_MS: '167',
        ...(i > 0 ? { BOOTSTRAP_SERVERS: `${base(0)}/discovery` } : {}),
      },
    }),
  );
  const curves: [number, number][][] = daemons.map(() => []);
  const started = Date.now();
  let polling = true;
  const ready = new Array<number>(n).fill(Number.NaN);
  const poller = (async () => {
    while (polling) {
      const at = (Date.now() - started) / 1000;
      await Promise.all(
        daemons.map(async (_, i) => {
          if (Number.isNaN(ready[i])) return;
          curves[i].push([at, await known(i).catch(() => 0)]);
        }),
      );
      await sleep(POLL_MS);
    }
  })();
  try {
    await Promise.all(
      daemons.map((d, i) => d.start().then(() => (ready[i] = (Date.now() - started) / 1000))),
    );
    const lastReady = Math.max(...ready);
    let convergedAt = Number.NaN;
    const deadline = Date.now() + 180_000;
    while (Number.isNaN(convergedAt)) {
      const counts = await Promise.all(daemons.map((_, i) => known(i).catch(() => 0)));
      if (counts.every((c) => c === n)) convergedAt = (Date.now() - started) / 1000;
      else if (Date.now() > deadline) throw new Error(`not converged: ${counts.join(',')}`);
      else await sleep(POLL_MS);
    }
    // The bootstrap exchange of g1…g9 with g0 is counted in the bytes, not in
    // discovery_gossip_exchanges_total (which counts the rounds' exchanges): add them.
    const converge = await traffic(n);
    converge.exchanges += n - 1;
    await sleep(opts.steady * 1000);
    const steady = await traffic(n);
    const load = loadAverage();
    const result: RunResult = {
      fromReadyS: Math.max(0, convergedAt - lastReady),
      fromStartS: convergedAt - Math.min(...ready),
      convergeBytesPerExchange: converge.bytes / converge.exchanges,
      convergeExchanges: converge.exchanges,
      steadyBytesPerExchange:
        (steady.bytes - converge.bytes) / (steady.exchanges - (converge.exchanges - (n - 1))),
      steadyExchanges: steady.exchanges - (converge.exchanges - (n - 1)),
      curves,
      load,
    };
    log(
      `run ${index}: all know all ${result.fromReadyS.toFixed(2)} s after the last was ready (${result.fromStartS.toFixed(2)} s after the first), ready at ${ready.map((r) => r.toFixed(1)).join(' ')} s; ${load}`,
    );
    return result;
  } finally {
    polling = false;
    await poller;
    await Promise.all(daemons.map((d) => d.stop().catch(() => undefined)));
    closeAgents();
    await dropDatabase(ADMIN_URL, DATABASE).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (let r = 1; r <= opts.runs; r++) results.push(await run(r));
  const stat = (values: number[], digits = 1) =>
    `${median(values).toFixed(digits)} / ${Math.max(...values).toFixed(digits)}`;
  const rounds = (s: number) => s / (INTERVAL_MS / 1000);
  const first = results[0];
  const svgPath = resolve(opts.svg);
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileSync(
    svgPath,
    linePlotSvg({
      title: `Gossip among ${opts.servers} real daemons, 1 s interval: servers known by each`,
      xLabel: 'seconds since the first daemon was started',
      yLabel: 'servers known (itself included)',
      series: first.curves.map((points, i) => ({ label: `g${i}`, points })),
      yMax: opts.servers,
    }),
  );
  const lines = [
    `bench/gossip-live: ${opts.servers} daemons, GOSSIP_INTERVAL_MS ${INTERVAL_MS} (jitter 167 ms), bootstrap from g0, ${opts.runs} runs (median / max)`,
    `all know all: ${stat(
      results.map((r) => r.fromReadyS),
      2,
    )} s after the last daemon was ready = ${stat(results.map((r) => rounds(r.fromReadyS)))} rounds; ${stat(
      results.map((r) => r.fromStartS),
      2,
    )} s after the first = ${stat(results.map((r) => rounds(r.fromStartS)))} rounds`,
    `bytes per exchange (JSON bodies, both directions): converging ${stat(
      results.map((r) => r.convergeBytesPerExchange),
      0,
    )} (${stat(
      results.map((r) => r.convergeExchanges),
      0,
    )} exchanges); steady ${stat(
      results.map((r) => r.steadyBytesPerExchange),
      0,
    )} (${stat(
      results.map((r) => r.steadyExchanges),
      0,
    )} exchanges in ${opts.steady} s)`,
    `machine: ${results.map((r) => r.load).join(' | ')}; plot: ${opts.svg}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  log(String((err as Error).stack ?? err));
  process.exitCode = 1;
});
