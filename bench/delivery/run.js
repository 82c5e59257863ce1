#!/usr/bin/env node
// bench/delivery: two complete servers on this machine; N pages from users of server A to
// users of server B at a fixed concurrency. Prints delivered-and-acked pages/s, send→ack
// latency p50/p99 and, measured in the same run, the RSA-2048 sign rate of node:crypto
// with the bound it implies (two signatures per page: the message and its ack).
//
//   npm run bench:delivery -- [--pages 5000] [--concurrency 64] [--users 50]
// Uses DATABASE_URL (one database, a schema per service) when set, else embedded PostgreSQL.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const PAGES = Number(args.pages ?? 5000);
const CONCURRENCY = Number(args.concurrency ?? 64);
const USERS = Number(args.users ?? 50);
const root = path.resolve(__dirname, '../..');
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 8 });
const children = [];

function request(base, method, route, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      base + route,
      {
        method,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function startService(app, env, dir) {
  const log = fs.openSync(path.join(dir, `${app}.log`), 'a');
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the services.
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
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${base} not ready`);
}

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
    LOG_LEVEL: 'warn',
    ...extra,
  };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  const schema = id.replace(/[^a-z0-9]/g, '_');
  startService('discovery', { ...env, DATABASE_SCHEMA: `bench_d_${schema}_${process.pid}` }, dir);
  await waitReady(`http://${host}:4100`);
  startService('adapter', { ...env, DATABASE_SCHEMA: `bench_a_${schema}_${process.pid}` }, dir);
  await waitReady(`http://${host}:4200`);
  return { discovery: `http://${host}:4100`, adapter: `http://${host}:4200`, dir };
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

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  console.log(
    `bench/delivery: ${PAGES} pages, concurrency ${CONCURRENCY}, ${USERS} users per server, ${os.cpus().length} cores`,
  );
  const a = await startServer('bench-a', '127.0.0.51', {});
  const b = await startServer('bench-b', '127.0.0.52', {
    BOOTSTRAP_SERVERS: 'http://127.0.0.51:4100/discovery',
  });
  for (let i = 0; i < USERS; i++) {
    await request(a.adapter, 'POST', '/api/v1/users', {
      user_id: `sender-${i}`,
      username: `sender_${i}`,
    });
    await request(b.adapter, 'POST', '/api/v1/users', {
      user_id: `recipient-${i}`,
      username: `recipient_${i}`,
    });
  }
  const routeDeadline = Date.now() + 30_000;
  while ((await request(a.discovery, 'POST', '/api/v1/route/bench-b')).status !== 200) {
    if (Date.now() > routeDeadline) throw new Error('server A cannot resolve server B');
    await new Promise((r) => setTimeout(r, 200));
  }

  // Warm-up: a few pages so that connections, caches and JIT are hot.
  const warm = await request(a.adapter, 'POST', '/api/v1/messages', {
    sender_user_id: 'sender-0',
    to: 'recipient_0@bench-b',
    content: 'warm-up',
  });
  while (
    (await request(a.adapter, 'GET', `/api/v1/messages/${warm.body.message_id}`)).body.status !==
    'delivered'
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }

  const ids = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PAGES) {
        const i = next++;
        const response = await request(a.adapter, 'POST', '/api/v1/messages', {
          sender_user_id: `sender-${i % USERS}`,
          to: `recipient_${(i * 7) % USERS}@bench-b`,
          content: `page ${i} — bench`,
          priority: 1,
        });
        if (response.status !== 202)
          throw new Error(`send ${i}: ${response.status} ${JSON.stringify(response.body)}`);
        ids.push(response.body.message_id);
      }
    }),
  );
  const accepted = Date.now();
  // Settled pages are read from the senders' sent boxes once a second: light enough not
  // to compete with the pipeline being measured (per-page polling would dominate it).
  const wanted = new Set(ids);
  const states = new Map();
  while (states.size < ids.length) {
    await new Promise((r) => setTimeout(r, 1000));
    for (let u = 0; u < USERS; u++) {
      let before = '';
      for (;;) {
        const page = await request(
          a.adapter,
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
    if (Date.now() - started > 30 * 60_000) throw new Error('pages did not settle in 30 minutes');
  }
  const all = [...states.values()];
  const delivered = all.filter((s) => s.status === 'delivered');
  const lastAck = Math.max(...delivered.map((s) => Date.parse(s.delivered_at)));
  const firstSend = Math.min(...all.map((s) => Date.parse(s.created_at)));
  const latencies = delivered
    .map((s) => Date.parse(s.delivered_at) - Date.parse(s.created_at))
    .sort((x, y) => x - y);
  const seconds = (lastAck - firstSend) / 1000;
  const rate = delivered.length / seconds;

  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  const sign = await measureSignRate();
  const bound = sign.asyncRate / 2;
  const ratio = rate / bound;

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
  console.log(
    `RSA-2048 sign (node:crypto, KeyObject): ${sign.syncRate.toFixed(0)}/s on one thread, ${sign.asyncRate.toFixed(0)}/s on the thread pool`,
  );
  console.log(
    `bound: two signatures per page → ${bound.toFixed(0)} pages/s; measured/bound = ${ratio.toFixed(2)} (aim ≥ 0.5)`,
  );
  agent.destroy();
  process.exit(delivered.length === ids.length ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
