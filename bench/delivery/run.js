#!/usr/bin/env node
// bench/delivery: two complete servers on this machine (daemon + adapter each, each
// service with its own embedded PostgreSQL unless DATABASE_URL is set).
//
// Throughput (default): N pages from users of server A to users of server B at a fixed
// concurrency. Prints delivered-and-acked pages/s, send→ack latency p50/p99, the CPU time
// per page of every process (sender adapter, receiver adapter, both daemons, each
// PostgreSQL server's process tree, the bench driver) from /proc, and, measured in the same
// run, the RSA-2048 sign rate of node:crypto with the bound it implies (two signatures per
// page: the message and its ack) and the ratio to it.
//
//   npm run bench:delivery -- [--pages 5000] [--concurrency 64] [--users 50] [--warmup 200]
//
// Light load (--rate): federated pages (A → B) and local pages (A → A) at `rate` per second
// each, interleaved, for `duration` seconds; send→delivered p50/p99 of each and their ratio,
// and the latency distribution (CDF) plotted to an SVG.
//
//   node bench/delivery/run.js --rate 10 --duration 30 [--svg docs/img/bench-delivery-light.svg]
//
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the services.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { jsonRequest, parseArgs } = require('../common/http-json');
const { sampleTrees, loadAverage } = require('../common/proc-cpu');
require('../lib/ts-register'); // @pager/testing's bench figures (percentile, SVG plot)
const { cdfPoints, linePlotSvg, percentile } = require('@pager/testing');

const args = parseArgs();
const PAGES = Number(args.pages ?? 5000);
const CONCURRENCY = Number(args.concurrency ?? 64);
const USERS = Number(args.users ?? 50);
const WARMUP = Number(args.warmup ?? 200);
const RATE = args.rate === undefined ? undefined : Number(args.rate);
const DURATION_S = Number(args.duration ?? 30);
const root = path.resolve(__dirname, '../..');
const SVG = path.resolve(root, args.svg ?? 'docs/img/bench-delivery-light.svg');
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 8 });
const children = [];

function request(base, method, route, body) {
  return jsonRequest(agent, base, method, route, body);
}

function startService(app, env, dir) {
  const log = fs.openSync(path.join(dir, `${app}.log`), 'a');
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(root, 'dist/apps', app, 'main.js')],
    {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', log, log],
    },
  );
  children.push(child);
  return child;
}

async function waitReady(base) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await request(base, 'GET', '/health/ready')).status === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`${base} not ready`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(id, host, extra) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${id}-`));
  const env = {
    SERVER_ID: id,
    BIND_ADDRESS: host,
    DATA_DIR: dir,
    ALLOW_PRIVATE_ENDPOINTS: 'true',
    DISCOVERY_PUBLIC_URL: `http://${host}:4100/discovery`,
    FEDERATION_PUBLIC_URL: `http://${host}:4200/federation`,
    DISCOVERY_INTERNAL_URL: `http://${host}:4100`,
    RATE_LIMIT_MESSAGES_PER_HOUR: '10000000',
    GOSSIP_INTERVAL_MS: '2000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...extra,
  };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  const schema = id.replace(/[^a-z0-9]/g, '_');
  const discovery = startService(
    'discovery',
    { ...env, DATABASE_SCHEMA: `bench_d_${schema}_${process.pid}` },
    dir,
  );
  await waitReady(`http://${host}:4100`);
  const adapter = startService(
    'adapter',
    { ...env, DATABASE_SCHEMA: `bench_a_${schema}_${process.pid}` },
    dir,
  );
  await waitReady(`http://${host}:4200`);
  return {
    discovery: `http://${host}:4100`,
    adapter: `http://${host}:4200`,
    dir,
    pids: { discovery: discovery.pid, adapter: adapter.pid },
  };
}

/** RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second, sync and on the thread pool. */
async function measureSignRate(ms = 2000) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.from(
    JSON.stringify({ content: 'x'.repeat(200), message_id: 'MSG-' + 'A'.repeat(32) }),
  );
  let syncCount = 0;
  const syncStart = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - syncStart) / 1e6 < ms) {
    crypto.sign('sha256', data, privateKey);
    syncCount++;
  }
  const syncRate = syncCount / (Number(process.hrtime.bigint() - syncStart) / 1e9);
  let asyncCount = 0;
  const asyncStart = process.hrtime.bigint();
  const deadline = Date.now() + ms;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < deadline) {
        await new Promise((resolve, reject) =>
          crypto.sign('sha256', data, privateKey, (err) => (err ? reject(err) : resolve())),
        );
        asyncCount++;
      }
    }),
  );
  const asyncRate = asyncCount / (Number(process.hrtime.bigint() - asyncStart) / 1e9);
  return { syncRate, asyncRate };
}

/** Final outcomes counted by an adapter's /metrics (adapter_delivery_outcomes_total). */
async function outcomesCounted(adapter) {
  const res = await request(adapter, 'GET', '/metrics');
  let total = 0;
  for (const line of String(res.body).split('\n')) {
    if (line.startsWith('adapter_delivery_outcomes_total{')) total += Number(line.split(' ').pop());
  }
  return total;
}

/** Waits until `count` more final outcomes than `base` are counted; polled every 250 ms. */
async function waitOutcomes(adapter, base, count, limitMs) {
  const deadline = Date.now() + limitMs;
  while ((await outcomesCounted(adapter)) < base + count) {
    if (Date.now() > deadline) throw new Error(`pages did not settle in ${limitMs / 1000} s`);
    await sleep(250);
  }
}

/** The settled pages among `ids`, read from the senders' sent boxes (after the window). */
async function settledPages(adapter, ids, senders) {
  const wanted = new Set(ids);
  const states = new Map();
  const deadline = Date.now() + 30 * 60_000;
  while (states.size < ids.length) {
    for (let u = 0; u < senders; u++) {
      let before = '';
      for (;;) {
        const page = await request(
          adapter,
          'GET',
          `/api/v1/users/sender-${u}/messages?box=sent&limit=200${before}`,
        );
        const messages = page.body.messages;
        for (const m of messages) {
          if (wanted.has(m.message_id) && ['delivered', 'failed', 'rejected'].includes(m.status))
            states.set(m.message_id, m);
        }
        if (messages.length < 200) break;
        before = `&before=${messages[messages.length - 1].message_id}`;
      }
    }
    if (states.size < ids.length) {
      if (Date.now() > deadline) throw new Error('pages did not settle in 30 minutes');
      await sleep(1000);
    }
  }
  return [...states.values()];
}

async function sendPage(adapter, i, to) {
  const response = await request(adapter, 'POST', '/api/v1/messages', {
    sender_user_id: `sender-${i % USERS}`,
    to,
    content: `page ${i} — bench`,
    priority: 1,
  });
  if (response.status !== 202 && response.status !== 201)
    throw new Error(`send ${i}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Sends `count` federated pages at `concurrency`; answers their message ids. */
async function sendFederated(adapter, count, concurrency, first = 0) {
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = first + next++;
        ids.push((await sendPage(adapter, i, `recipient_${(i * 7) % USERS}@bench-b`)).message_id);
      }
    }),
  );
  return ids;
}

/** One CPU sample: the services' own and their children's (PostgreSQL) ms, the driver's. */
function cpuSample(a, b) {
  const pids = [a.pids.adapter, b.pids.adapter, a.pids.discovery, b.pids.discovery];
  const [sender, receiver, daemonA, daemonB] = sampleTrees(pids);
  const own = process.cpuUsage();
  return {
    atMs: Date.now(),
    load: loadAverage(),
    rows: [
      ['sender adapter (A)', sender.self],
      ['receiver adapter (B)', receiver.self],
      ['daemon A', daemonA.self],
      ['daemon B', daemonB.self],
      ['PostgreSQL of sender adapter', sender.children],
      ['PostgreSQL of receiver adapter', receiver.children],
      ['PostgreSQL of daemon A', daemonA.children],
      ['PostgreSQL of daemon B', daemonB.children],
      ['bench driver', (own.user + own.system) / 1000],
    ],
  };
}

/** Per-process CPU between two samples: ms in all, ms per page, share of one core. */
function cpuTable(before, after, pages) {
  const wallMs = after.atMs - before.atMs;
  const rows = before.rows.map(([name, ms], i) => {
    const used = after.rows[i][1] - ms;
    return { name, ms: used, perPage: used / pages, core: used / wallMs };
  });
  const services = rows.filter((r) => r.name !== 'bench driver');
  const total = {
    name: 'all services (driver excluded)',
    ms: services.reduce((s, r) => s + r.ms, 0),
    perPage: services.reduce((s, r) => s + r.perPage, 0),
    core: services.reduce((s, r) => s + r.core, 0),
  };
  return { rows, total, wallMs };
}

function printCpu(table, pages) {
  console.log(
    `CPU per process over the measured window (${(table.wallMs / 1000).toFixed(1)} s, ${pages} pages; /proc user+sys):`,
  );
  for (const r of [...table.rows, table.total]) {
    console.log(
      `  ${r.name.padEnd(32)} ${r.ms.toFixed(0).padStart(7)} ms  ${r.perPage.toFixed(3).padStart(7)} ms/page  ${(100 * r.core).toFixed(0).padStart(4)} % of a core`,
    );
  }
}

async function setUp() {
  const a = await startServer('bench-a', '127.0.0.51', {});
  const b = await startServer('bench-b', '127.0.0.52', {
    BOOTSTRAP_SERVERS: 'http://127.0.0.51:4100/discovery',
  });
  for (let i = 0; i < USERS; i++) {
    await request(a.adapter, 'POST', '/api/v1/users', {
      user_id: `sender-${i}`,
      username: `sender_${i}`,
    });
    await request(a.adapter, 'POST', '/api/v1/users', {
      user_id: `local-${i}`,
      username: `local_${i}`,
    });
    await request(b.adapter, 'POST', '/api/v1/users', {
      user_id: `recipient-${i}`,
      username: `recipient_${i}`,
    });
  }
  const routeDeadline = Date.now() + 30_000;
  while ((await request(a.discovery, 'POST', '/api/v1/route/bench-b')).status !== 200) {
    if (Date.now() > routeDeadline) throw new Error('server A cannot resolve server B');
    await sleep(200);
  }
  return { a, b };
}

function stopServers() {
  for (const child of children) child.kill('SIGTERM');
  return sleep(1500);
}

async function throughput(a, b) {
  // Warm-up: connections, caches and JIT hot before the measured window.
  const warmBase = await outcomesCounted(a.adapter);
  await sendFederated(a.adapter, Math.max(1, WARMUP), Math.min(CONCURRENCY, WARMUP || 1), PAGES);
  await waitOutcomes(a.adapter, warmBase, Math.max(1, WARMUP), 5 * 60_000);
  // The idle cost of the same processes, for comparison (gossip, ticks, scrapes).
  const idleBefore = cpuSample(a, b);
  await sleep(2000);
  const idle = cpuTable(idleBefore, cpuSample(a, b), 1);

  const base = await outcomesCounted(a.adapter);
  const before = cpuSample(a, b);
  const started = Date.now();
  const ids = await sendFederated(a.adapter, PAGES, CONCURRENCY);
  const accepted = Date.now();
  await waitOutcomes(a.adapter, base, PAGES, 30 * 60_000);
  const after = cpuSample(a, b);

  const all = await settledPages(a.adapter, ids, USERS);
  const delivered = all.filter((s) => s.status === 'delivered');
  const lastAck = Math.max(...delivered.map((s) => Date.parse(s.delivered_at)));
  const firstSend = Math.min(...all.map((s) => Date.parse(s.created_at)));
  const latencies = delivered
    .map((s) => Date.parse(s.delivered_at) - Date.parse(s.created_at))
    .sort((x, y) => x - y);
  const seconds = (lastAck - firstSend) / 1000;
  const rate = delivered.length / seconds;

  await stopServers();
  const sign = await measureSignRate();
  const bound = sign.asyncRate / 2;
  const ratio = rate / bound;
  const cpu = cpuTable(before, after, delivered.length);

  console.log(
    `accepted ${ids.length} pages in ${((accepted - started) / 1000).toFixed(1)} s (${(ids.length / ((accepted - started) / 1000)).toFixed(0)}/s)`,
  );
  console.log(
    `delivered+acked: ${delivered.length}/${ids.length} (failed ${all.filter((s) => s.status === 'failed').length}, rejected ${all.filter((s) => s.status === 'rejected').length}) in ${seconds.toFixed(1)} s`,
  );
  console.log(`throughput: ${rate.toFixed(0)} pages/s`);
  console.log(
    `send→ack latency: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
  );
  printCpu(cpu, delivered.length);
  console.log(
    `  (idle, same processes: ${(100 * idle.total.core).toFixed(0)} % of a core in all, i.e. ${((idle.total.core * cpu.wallMs) / delivered.length).toFixed(3)} ms/page of the window)`,
  );
  console.log(
    `load average: ${before.load} at start, ${after.load} at end (1, 5, 15 min; ${os.cpus().length} cores shared with other work)`,
  );
  console.log(
    `RSA-2048 sign (node:crypto, KeyObject): ${sign.syncRate.toFixed(0)}/s on one thread, ${sign.asyncRate.toFixed(0)}/s on the thread pool`,
  );
  console.log(
    `two signatures per page: ${(2000 / sign.syncRate).toFixed(3)} ms of CPU, beside ${cpu.total.perPage.toFixed(3)} ms/page used by all services (${((100 * (2000 / sign.syncRate)) / cpu.total.perPage).toFixed(0)} %)`,
  );
  console.log(
    `bound: two signatures per page → ${bound.toFixed(0)} pages/s; measured/bound = ${ratio.toFixed(2)} (target ≥ 0.3, aim 0.5)`,
  );
  return delivered.length === ids.length;
}

async function lightLoad(a, b) {
  // Warm-up, as in the throughput mode but lighter.
  const warmBase = await outcomesCounted(a.adapter);
  await sendFederated(a.adapter, 50, 4, 1_000_000);
  for (let i = 0; i < 50; i++) await sendPage(a.adapter, i, `local_${i % USERS}@bench-a`);
  await waitOutcomes(a.adapter, warmBase, 50, 60_000);

  const periodMs = 1000 / RATE;
  const count = Math.round(RATE * DURATION_S);
  const federated = [];
  const local = [];
  const sends = [];
  const before = cpuSample(a, b);
  const start = Date.now() + 100;
  for (let i = 0; i < count; i++) {
    // Federated at k·period, local half a period later: interleaved, each at `rate`/s.
    for (const [offset, kind] of [
      [0, 'federated'],
      [periodMs / 2, 'local'],
    ]) {
      const at = start + i * periodMs + offset;
      await sleep(Math.max(0, at - Date.now()));
      const sentMs = Date.now();
      const to =
        kind === 'federated'
          ? `recipient_${(i * 7) % USERS}@bench-b`
          : `local_${i % USERS}@bench-a`;
      sends.push(
        sendPage(a.adapter, i, to).then((body) => {
          const entry = {
            id: body.message_id,
            sentMs,
            answeredMs: Date.now(),
            status: body.status,
          };
          (kind === 'federated' ? federated : local).push(entry);
        }),
      );
    }
  }
  await Promise.all(sends);
  const all = await settledPages(
    a.adapter,
    federated.map((f) => f.id),
    USERS,
  );
  const after = cpuSample(a, b);
  await stopServers();

  const byId = new Map(all.map((m) => [m.message_id, m]));
  // Federated: from the bench's send to the sender's delivered_at (the verified ack), one
  // clock (same machine). Local: delivered in both boxes when POST answers 201 (its
  // delivered_at equals created_at, set inside that request), so until the answer arrives.
  const fed = federated
    .filter((f) => byId.get(f.id)?.status === 'delivered')
    .map((f) => Date.parse(byId.get(f.id).delivered_at) - f.sentMs)
    .sort((x, y) => x - y);
  const loc = local
    .filter((l) => l.status === 'delivered')
    .map((l) => l.answeredMs - l.sentMs)
    .sort((x, y) => x - y);
  const fedServer = federated
    .filter((f) => byId.get(f.id)?.status === 'delivered')
    .map((f) => Date.parse(byId.get(f.id).delivered_at) - Date.parse(byId.get(f.id).created_at))
    .sort((x, y) => x - y);
  const line = (name, values) =>
    `  ${name.padEnd(10)} ${String(values.length).padStart(5)} pages  p50 ${percentile(values, 50)} ms  p99 ${percentile(values, 99)} ms  max ${values[values.length - 1]} ms`;
  console.log(
    `light load: ${RATE} federated + ${RATE} local pages/s for ${DURATION_S} s (interleaved), send→delivered:`,
  );
  console.log(line('federated', fed));
  console.log(line('local', loc));
  console.log(
    `  (federated, server's created_at → delivered_at: p50 ${percentile(fedServer, 50)} ms, p99 ${percentile(fedServer, 99)} ms)`,
  );
  const r50 = percentile(fed, 50) / percentile(loc, 50);
  const r99 = percentile(fed, 99) / percentile(loc, 99);
  console.log(`federated/local: p50 ${r50.toFixed(1)}×, p99 ${r99.toFixed(1)}× (target ≤ 3×)`);
  const cpu = cpuTable(before, after, fed.length + loc.length);
  printCpu(cpu, fed.length + loc.length);
  console.log(
    `load average: ${before.load} at start, ${after.load} at end (1, 5, 15 min; ${os.cpus().length} cores shared with other work)`,
  );
  fs.mkdirSync(path.dirname(SVG), { recursive: true });
  fs.writeFileSync(
    SVG,
    linePlotSvg({
      title: `bench/delivery light load: send→delivered, ${RATE} federated + ${RATE} local pages/s, ${DURATION_S} s`,
      xLabel: 'latency (ms, log scale)',
      yLabel: 'fraction of pages delivered',
      logX: true,
      yMax: 1,
      yFormat: (y) => `${Math.round(y * 100)} %`,
      series: [
        {
          label: `federated A → B, p50 ${percentile(fed, 50)} ms`,
          points: cdfPoints(fed.map((v) => Math.max(v, 0.5))),
        },
        {
          label: `local A → A, p50 ${percentile(loc, 50)} ms`,
          points: cdfPoints(loc.map((v) => Math.max(v, 0.5))),
        },
      ],
      notes: [
        `p99: federated ${percentile(fed, 99)} ms, local ${percentile(loc, 99)} ms`,
        `ratio p50 ${r50.toFixed(1)}×, p99 ${r99.toFixed(1)}×; load ${before.load.split(' ')[0]} → ${after.load.split(' ')[0]}; ${os.cpus().length} cores`,
      ],
    }),
  );
  console.log(`plot: ${path.relative(process.cwd(), SVG)}`);
  return fed.length === federated.length && loc.length === local.length;
}

async function main() {
  console.log(
    RATE === undefined
      ? `bench/delivery: ${PAGES} pages, concurrency ${CONCURRENCY}, ${USERS} users per server, ${os.cpus().length} cores, Node ${process.version}`
      : `bench/delivery light load: ${RATE}/s federated + ${RATE}/s local for ${DURATION_S} s, ${os.cpus().length} cores, Node ${process.version}`,
  );
  console.log(`load average at start: ${loadAverage()}`);
  const { a, b } = await setUp();
  const ok = RATE === undefined ? await throughput(a, b) : await lightLoad(a, b);
  agent.destroy();
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
