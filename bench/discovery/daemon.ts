/**
 * `npm run bench:discovery`: one built discovery daemon with 10,000 known servers (issue 8).
 *
 * Loads N valid signed announcements of invented servers into the daemon through its real
 * gossip path (`POST /discovery/gossip`, envelopes of 500 relayed by one of them), then
 * measures, beside the bounds of the issue:
 * - resident memory (VmRSS) at start, after loading, on a fresh start with the table loaded
 *   from PostgreSQL, and after the rounds — goal ≤ 200 MB, k8s limit 512 MiB;
 * - CPU per steady gossip round: the daemon's utime+stime over --windows windows of --window
 *   seconds of rounds (interval --interval ms, no jitter), divided by the rounds ("raw"), and
 *   the same minus its idle CPU over the window ("idle-corrected"); the medians over the
 *   windows. Idle CPU: a fresh daemon with gossip off, in --idleSlices slices of 5 s, each
 *   printed (CPU times tick by 10 ms: ±2 ms/s per slice), their median subtracted.
 *   A round is what one server costs per interval in a converged network: its scheduled
 *   round (expiry, table version, neighbour choice over the table, one exchange started
 *   with a neighbour that answers in_sync) plus answering one in-sync `gossip` from a
 *   neighbour — goal ≤ 5 ms;
 * - cached `POST /api/v1/route/{domain}` p50/p99 while rounds run, beside `GET /health/live`.
 *
 * The invented servers' endpoints point at a stub in this process (127.0.0.181:4100) that
 * answers for each of them, signing with that server's key, `in_sync: true` only when the
 * daemon's digest_hash is the one computed here by @pager/gossip-core over the very
 * announcements loaded (a mismatch is answered 503 and counted); after each exchange it
 * starts one towards the daemon as one of 8 invented in-neighbours (one of them swapped for
 * a random other server each time, as neighbour choice does), with the same digest.
 *
 * Keys: --keys distinct RSA-2048 pairs (default 10,000: one per server; cached in the temporary folder),
 * server i signing with key i mod keys; the daemon pins per server id, so several ids may
 * share a key. PostgreSQL: DATABASE_URL (default the machine's, 127.0.0.1:5432), a fresh
 * database `bench_discovery`, dropped at the end. Daemon on 127.0.0.180.
 *
 *   npm run build && flock /tmp/pager-e2e.lock node bench/lib/ts-run.js bench/discovery/daemon.ts \
 *     [--servers 10000] [--keys 10000] [--interval 250] [--window 30] [--windows 3]
 *     [--idleSlices 6] [--requests 5000]
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import {
  GossipTable,
  openExchange,
  peerEntryFromAnnouncement,
  type GossipOpening,
} from '@pager/gossip-core';
import { formatProtocolTimestamp, signObjectAsync } from '@pager/protocol';
import { median, percentile } from '@pager/testing';
import {
  backendPids,
  benchKeys,
  closeAgents,
  cpuMs,
  cpuMsOf,
  createDatabase,
  daemon,
  dropDatabase,
  gossipEnvelope,
  inPool,
  inventedAnnouncement,
  loadAverage,
  metric,
  options,
  request,
  rssMiB,
  sleep,
} from '../lib/kit';

const args = options({
  servers: 10_000,
  keys: 10_000,
  interval: 250,
  window: 30,
  windows: 3,
  idleSlices: 6,
  requests: 5_000,
});
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'bench_discovery';
const HOST = '127.0.0.180';
const BASE = `http://${HOST}:4100`;
const STUB_HOST = '127.0.0.181';
const STUB_BASE = `http://${STUB_HOST}:4100`;
const TARGET_ID = 'target.bench';
const RSS_GOAL_MB = 200;
const RSS_LIMIT_MIB = 512;
const ROUND_GOAL_MS = 5;

const log = (line: string) => process.stderr.write(`${line}\n`);
const id = (i: number) => `s${String(i).padStart(5, '0')}.bench`;

interface Stub {
  expected: GossipOpening | null;
  /** Exchanges the daemon started and the stub answered in_sync, and mismatches. */
  answered: number;
  mismatched: number;
  /** Exchanges the stub started towards the daemon: in sync, and anything else. */
  started: number;
  startedNotInSync: number;
  /** Start one exchange towards the daemon after each it answered. */
  reciprocate: boolean;
}

async function main(): Promise<void> {
  log(`${loadAverage()} — keys…`);
  const keys = await benchKeys(args.keys);
  const keyOf = (i: number) => keys[i % keys.length];
  const indexOf = new Map<string, number>();
  for (let i = 0; i < args.servers; i++) indexOf.set(id(i), i);

  const signStart = Date.now();
  const t0 = Date.now() - 60_000;
  const announcements = await inPool(
    Array.from({ length: args.servers }, (_, i) => i),
    4,
    (i) => inventedAnnouncement(id(i), keyOf(i), STUB_BASE, t0 + i),
  );
  log(`signed ${args.servers} announcements in ${((Date.now() - signStart) / 1000).toFixed(1)} s`);

  const stub: Stub = {
    expected: null,
    answered: 0,
    mismatched: 0,
    started: 0,
    startedNotInSync: 0,
    reciprocate: false,
  };
  const server = createServer((req, res) => void handle(stub, req, res));
  await new Promise<void>((r) => server.listen(4100, STUB_HOST, r));

  async function handle(s: Stub, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const match = /^\/([^/]+)\/discovery\/gossip$/.exec(req.url ?? '');
    const i = match ? indexOf.get(match[1]) : undefined;
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    if (i === undefined || body['type'] !== 'gossip' || s.expected === null) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not_found', message: 'stub answers gossip only' }));
      return;
    }
    if (body['digest_hash'] !== s.expected.digestHash) {
      s.mismatched++;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unavailable', message: 'stub: digest differs' }));
      return;
    }
    const reply = await signObjectAsync(
      {
        version: '1.0',
        type: 'gossip_reply',
        gossip_id: body['gossip_id'],
        from: id(i),
        timestamp: formatProtocolTimestamp(Date.now()),
        in_sync: true,
      },
      keyOf(i).privateKey,
    );
    s.answered++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
    if (s.reciprocate) void gossipToDaemon(s);
  }

  // The servers that gossip with the daemon: like its own neighbours, 8 of them, one
  // swapped for a random other after each exchange (a converged network's in-neighbours).
  const inNeighbours = Array.from(
    { length: 8 },
    () => 1 + Math.floor(Math.random() * (args.servers - 1)),
  );

  /** One in-sync exchange started by one of the in-neighbours towards the daemon. */
  async function gossipToDaemon(s: Stub): Promise<boolean> {
    const i = inNeighbours[Math.floor(Math.random() * inNeighbours.length)];
    inNeighbours[Math.floor(Math.random() * inNeighbours.length)] =
      1 + Math.floor(Math.random() * (args.servers - 1));
    const envelope = await gossipEnvelope(
      id(i),
      keyOf(i),
      [announcements[i]],
      s.expected ?? undefined,
    );
    const reply = await request(BASE, 'POST', '/discovery/gossip', envelope);
    const inSync = reply.status === 200 && JSON.parse(reply.text).in_sync === true;
    s.started++;
    if (!inSync) s.startedNotInSync++;
    return inSync;
  }

  /** The digest of the daemon's table as it must be: its own announcement and the N loaded. */
  async function expectedDigest(): Promise<GossipOpening> {
    const own = JSON.parse((await request(BASE, 'GET', '/discovery/announcement')).text);
    const nowMs = Date.now();
    const table = new GossipTable(
      [own, ...announcements].map((a) => {
        const entry = peerEntryFromAnnouncement(a, nowMs);
        if (entry === null) throw new Error('unusable announcement');
        return entry;
      }),
    );
    return openExchange(table);
  }

  const databaseUrl = await createDatabase(ADMIN_URL, DATABASE);
  const env = (intervalMs: number) => ({
    GOSSIP_INTERVAL_MS: String(intervalMs),
    GOSSIP_JITTER_MS: '0',
    RATE_LIMIT_GOSSIP_PER_HOUR: '10000000',
    // The load relays all N through one neighbour: its hourly quota of new servers (default
    // 2,000, issue 9) would drop the rest.
    RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR: '1000000',
  });
  let target = daemon({ serverId: TARGET_ID, host: HOST, databaseUrl, env: env(3_600_000) });
  const rss: Record<string, number> = {};
  const heap: Record<string, string> = {};
  /** The daemon's V8 heap (used / total) and external memory in MiB, from its /metrics. */
  const heapNow = async () => {
    const mib = async (name: string) => (await metric(BASE, name)) / 1048576;
    return `${(await mib('nodejs_heap_size_used_bytes')).toFixed(0)}/${(await mib('nodejs_heap_size_total_bytes')).toFixed(0)} +${(await mib('nodejs_external_memory_bytes')).toFixed(0)}`;
  };
  try {
    await target.start();
    const pid = () => target.pid as number;
    await sleep(2_000);
    rss['start'] = rssMiB(pid());
    heap['start'] = await heapNow();

    // ---- load: server 0 relays the others, 499 + its own per envelope ----
    const loadStart = Date.now();
    let peak = rss['start'];
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid()))), 250);
    for (let sent = 1; sent < args.servers; sent += 499) {
      const batch = announcements.slice(sent, Math.min(args.servers, sent + 499));
      const reply = await request(
        BASE,
        'POST',
        '/discovery/gossip',
        await gossipEnvelope(id(0), keyOf(0), [announcements[0], ...batch]),
      );
      if (reply.status !== 200)
        throw new Error(`load: ${reply.status} ${reply.text.slice(0, 200)}`);
    }
    const loadS = (Date.now() - loadStart) / 1000;
    const accepted = await metric(BASE, 'discovery_announcements_total', 'outcome="accepted"');
    log(`loaded: ${accepted} accepted in ${loadS.toFixed(0)} s`);

    stub.expected = await expectedDigest();
    if (!(await gossipToDaemon(stub)))
      throw new Error('the daemon is not in sync with the loaded table (digest differs)');
    await sleep(3_000);
    clearInterval(sampler);
    rss['loaded'] = rssMiB(pid());
    heap['loaded'] = await heapNow();
    rss['loadPeak'] = Math.max(peak, rss['loaded']);

    // ---- idle baseline: a fresh daemon on the same database, no rounds ----
    await target.stop();
    target = daemon({ serverId: TARGET_ID, host: HOST, databaseUrl, env: env(3_600_000) });
    await target.start();
    stub.expected = await expectedDigest(); // the own announcement is re-signed at start
    if (!(await gossipToDaemon(stub))) throw new Error('fresh daemon not in sync');
    await sleep(5_000);
    rss['fresh'] = rssMiB(pid());
    heap['fresh'] = await heapNow();
    // Idle CPU in slices of 5 s: printed one by one (a decay shows start-up work still
    // running: JIT, the table's garbage), their median subtracted below.
    const idleSlices: number[] = [];
    for (let s = 0; s < args.idleSlices; s++) {
      const c0 = cpuMs(pid());
      const t0s = Date.now();
      await sleep(5_000);
      idleSlices.push((cpuMs(pid()) - c0) / ((Date.now() - t0s) / 1000));
    }
    const idleMsPerS = median(idleSlices);

    // ---- steady rounds ----
    await target.stop();
    target = daemon({ serverId: TARGET_ID, host: HOST, databaseUrl, env: env(args.interval) });
    stub.expected = null; // not before the new own announcement is known
    await target.start();
    stub.expected = await expectedDigest();
    stub.reciprocate = true;
    await sleep(10_000); // warm-up: table loaded, neighbours chosen, JIT
    // PostgreSQL backends of the daemon's database by pid, listed anew at each sample: the
    // pool closes idle connections and opens others, so a window counts the CPU of the
    // backends alive at its end (all of it for those started within the window).
    const pgCpu = async () =>
      new Map((await backendPids(ADMIN_URL, DATABASE)).map((p) => [p, cpuMsOf([p])]));
    const pgDelta = (from: Map<number, number>, to: Map<number, number>) =>
      [...to].reduce((sum, [p, ms]) => sum + ms - (from.get(p) ?? 0), 0);
    const exchanges = () => metric(BASE, 'discovery_gossip_exchanges_total', 'role="initiator"');
    const sample = async () => ({
      cpu: cpuMs(pid()),
      pg: await pgCpu(),
      rounds: await exchanges(),
      failed: await metric(BASE, 'discovery_gossip_exchanges_total', 'result="failed"'),
      started: stub.started,
      at: Date.now(),
    });
    // Several windows of rounds: each one's raw CPU per round (window CPU / rounds) and
    // idle-corrected one (minus the idle median over the window), then their medians.
    const windows: { raw: number; corrected: number; pg: number; rounds: number; load: string }[] =
      [];
    const first = await sample();
    let before = first;
    for (let w = 0; w < args.windows; w++) {
      await sleep(args.window * 1000);
      const next = await sample();
      const n = next.rounds - before.rounds;
      const spanS = (next.at - before.at) / 1000;
      windows.push({
        raw: (next.cpu - before.cpu) / n,
        corrected: (next.cpu - before.cpu - idleMsPerS * spanS) / n,
        pg: pgDelta(before.pg, next.pg) / n,
        rounds: n,
        load: loadAverage(),
      });
      log(
        `window ${w + 1}: ${n} rounds, raw ${windows[w].raw.toFixed(2)} ms, corrected ${windows[w].corrected.toFixed(2)} ms, PostgreSQL ${windows[w].pg.toFixed(2)} ms per round; ${windows[w].load}`,
      );
      before = next;
    }
    const after = before;
    const windowS = (after.at - first.at) / 1000;
    const rounds = after.rounds - first.rounds;
    const rawCpuMs = median(windows.map((w) => w.raw));
    const roundCpuMs = median(windows.map((w) => w.corrected));
    const pgPerRoundMs = median(windows.map((w) => w.pg));
    const loadDuringRounds = windows.map((w) => w.load).join(' | ');
    rss['rounds'] = rssMiB(pid());
    heap['rounds'] = await heapNow();

    // ---- cached route while rounds run, beside a trivial endpoint ----
    const routeMs: number[] = [];
    const sources = new Map<string, number>();
    for (let r = 0; r < args.requests; r++) {
      const domain = id(1 + Math.floor(Math.random() * (args.servers - 1)));
      const reply = await request(BASE, 'POST', `/api/v1/route/${domain}`);
      if (reply.status !== 200) throw new Error(`route ${domain}: ${reply.status} ${reply.text}`);
      const source = JSON.parse(reply.text).source as string;
      sources.set(source, (sources.get(source) ?? 0) + 1);
      routeMs.push(reply.ms);
    }
    const liveMs: number[] = [];
    for (let r = 0; r < args.requests; r++) {
      const reply = await request(BASE, 'GET', '/health/live');
      if (reply.status !== 200) throw new Error(`live: ${reply.status}`);
      liveMs.push(reply.ms);
    }
    const loadDuringRoutes = loadAverage();
    stub.reciprocate = false;
    rss['end'] = rssMiB(pid());
    heap['end'] = await heapNow();

    const f = (n: number, d = 1) => n.toFixed(d);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const lines = [
      `bench/discovery daemon, ${args.servers} known servers (${args.keys} distinct RSA-2048 keys), 2026-12-01 run on ${new Date().toISOString()}`,
      `load: ${args.servers - 1} relayed by one neighbour in envelopes of 500 through POST /discovery/gossip: ${accepted} accepted (+ the neighbour's own) in ${f(loadS, 0)} s`,
      `RSS (MiB): start ${f(rss['start'])}, peak while loading ${f(rss['loadPeak'])}, after loading ${f(rss['loaded'])}, fresh start with the table ${f(rss['fresh'])}, after rounds ${f(rss['rounds'])}, at the end ${f(rss['end'])}`,
      `  goal ≤ ${RSS_GOAL_MB} MB (${f((RSS_GOAL_MB * 1e6) / 1048576)} MiB): ${verdict(Math.max(rss['fresh'], rss['rounds'], rss['end']) * 1.048576 <= RSS_GOAL_MB)} in steady state (fresh/rounds/end); ${verdict(rss['loadPeak'] * 1.048576 <= RSS_GOAL_MB)} at the loading peak; k8s limit ${RSS_LIMIT_MIB} MiB: ${verdict(rss['loadPeak'] <= RSS_LIMIT_MIB)}`,
      `  V8 heap used/total +external (MiB) at the same points: ${['start', 'loaded', 'fresh', 'rounds', 'end'].map((k) => `${k} ${heap[k]}`).join(', ')}`,
      `  per entry: ${f(((rss['fresh'] - rss['start']) * 1048576) / args.servers / 1024, 2)} KiB (fresh start with the table − start)`,
      `rounds: ${rounds} in ${f(windowS)} s (${args.windows} windows of ${args.window} s, interval ${args.interval} ms), ${after.started - first.started} answered gossips; failed exchanges ${after.failed - first.failed}; stub digest mismatches ${stub.mismatched}, not-in-sync answers ${stub.startedNotInSync}`,
      `  idle (fresh daemon, no rounds) per 5 s slice: ${idleSlices.map((x) => f(x, 1)).join(' ')} ms/s, median ${f(idleMsPerS, 2)} ms/s`,
      `  per window raw / idle-corrected / PostgreSQL (ms per round): ${windows.map((w) => `${f(w.raw, 2)} / ${f(w.corrected, 2)} / ${f(w.pg, 2)}`).join(', ')}`,
      `  daemon CPU per steady round, median of windows: raw ${f(rawCpuMs, 2)} ms, idle-corrected ${f(roundCpuMs, 2)} ms (goal ≤ ${ROUND_GOAL_MS} ms: raw ${verdict(rawCpuMs <= ROUND_GOAL_MS)}, corrected ${verdict(roundCpuMs <= ROUND_GOAL_MS)}); PostgreSQL backends ${f(pgPerRoundMs, 2)} ms per round; ${loadDuringRounds}`,
      `route: ${args.requests} × POST /api/v1/route/{domain} (sources ${[...sources].map(([k, v]) => `${k} ${v}`).join(', ')}) p50 ${f(percentile(routeMs, 50), 2)} ms, p99 ${f(percentile(routeMs, 99), 2)} ms; reference GET /health/live p50 ${f(percentile(liveMs, 50), 2)} ms, p99 ${f(percentile(liveMs, 99), 2)} ms; ${loadDuringRoutes}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (rss['loadPeak'] > RSS_LIMIT_MIB || stub.mismatched > 0) process.exitCode = 1;
  } catch (err) {
    log(target.logTail(40));
    throw err;
  } finally {
    await target.stop().catch(() => undefined);
    server.close();
    closeAgents();
    await dropDatabase(ADMIN_URL, DATABASE).catch(() => undefined);
  }
}

main().catch((err) => {
  log(String((err as Error).stack ?? err));
  process.exitCode = 1;
});
