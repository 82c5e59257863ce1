#!/usr/bin/env node
// bench/log-volume: how many log lines server A's adapter writes while its discovery daemon
// is down (issue: "1,000 pages with the daemon down for a minute"). Two complete servers on
// this machine; A's daemon is stopped, N pages are sent from A to B, the daemon stays down
// for --outage seconds, comes back, and the run waits until every page is delivered. Prints
// A's adapter log lines (total, per second, per event name) during the outage and after it.
//
//   npm run bench:log-volume -- [--pages 1000] [--outage 60] [--repo <checkout with dist/>]
//
// --repo measures another build with this same script (e.g. a worktree of an older commit:
// "before"). Run it under `flock /tmp/pager-e2e.lock` (fixed loopback addresses 127.0.0.81
// and .82). Uses DATABASE_URL (a schema per service) when set, else embedded PostgreSQL.
// Services log at LOG_LEVEL=info (the default an operator runs).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { jsonRequest, parseArgs } = require('../common/http-json');

const args = parseArgs();
const PAGES = Number(args.pages ?? 1000);
const OUTAGE_MS = Number(args.outage ?? 60) * 1000;
const USERS = 10;
const repo = path.resolve(args.repo ?? path.join(__dirname, '../..'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const children = new Set();

function request(base, method, route, body) {
  return jsonRequest(agent, base, method, route, body);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startService(app, env, logFile) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(repo, 'dist/apps', app, 'main.js')], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', log, log],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stopService(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
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

async function startServer(id, host, extra) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-logs-${id}-`));
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
    LOG_LEVEL: 'info',
    ...extra,
  };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  const schema = `${id.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
  const server = {
    dir,
    discovery: `http://${host}:4100`,
    adapter: `http://${host}:4200`,
    discoveryLog: path.join(dir, 'discovery.log'),
    adapterLog: path.join(dir, 'adapter.log'),
    discoveryEnv: { ...env, DATABASE_SCHEMA: `bench_ld_${schema}` },
  };
  server.startDiscovery = async () => {
    server.daemon = startService('discovery', server.discoveryEnv, server.discoveryLog);
    await waitReady(server.discovery);
  };
  await server.startDiscovery();
  startService('adapter', { ...env, DATABASE_SCHEMA: `bench_la_${schema}` }, server.adapterLog);
  await waitReady(server.adapter);
  return server;
}

/** Log lines of `file` from byte `from` to byte `to`: total and per event (or msg). */
function countLines(file, from, to) {
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.alloc(to - from);
  fs.readSync(fd, buffer, 0, buffer.length, from);
  fs.closeSync(fd);
  const perEvent = new Map();
  let total = 0;
  for (const line of buffer.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    total++;
    let name;
    try {
      const object = JSON.parse(line);
      name = object.event ?? `msg: ${String(object.msg).slice(0, 60)}`;
      name = `${object.level} ${name}`;
    } catch {
      name = '(not JSON)';
    }
    perEvent.set(name, (perEvent.get(name) ?? 0) + 1);
  }
  return { total, perEvent: [...perEvent.entries()].sort((x, y) => y[1] - x[1]) };
}

function report(label, counts, seconds) {
  console.log(
    `${label}: ${counts.total} lines in ${seconds.toFixed(1)} s = ${(counts.total / seconds).toFixed(1)} lines/s`,
  );
  for (const [name, n] of counts.perEvent.slice(0, 15))
    console.log(`  ${String(n).padStart(6)}  ${name}`);
}

async function sentStates(base, wanted) {
  const states = new Map();
  for (let u = 0; u < USERS; u++) {
    let before = '';
    for (;;) {
      const page = await request(
        base,
        'GET',
        `/api/v1/users/sender-${u}/messages?box=sent&limit=200${before}`,
      );
      const messages = page.body.messages;
      for (const m of messages) if (wanted.has(m.message_id)) states.set(m.message_id, m.status);
      if (messages.length < 200) break;
      before = `&before=${messages[messages.length - 1].message_id}`;
    }
  }
  return states;
}

async function main() {
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `bench/log-volume: ${PAGES} pages, daemon down ${OUTAGE_MS / 1000} s, build of ${repo}, ${os.cpus().length} cores, load average ${load()}`,
  );
  const a = await startServer('logs-a', '127.0.0.81', {});
  const b = await startServer('logs-b', '127.0.0.82', {
    BOOTSTRAP_SERVERS: 'http://127.0.0.81:4100/discovery',
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
  // A's daemon knows B (so its route answers once it is back); A's adapter has asked
  // nothing yet, so it holds no cached route and needs its daemon for every page.
  const routeDeadline = Date.now() + 60_000;
  while ((await request(a.discovery, 'POST', '/api/v1/route/logs-b')).status !== 200) {
    if (Date.now() > routeDeadline) throw new Error('server A cannot resolve server B');
    await sleep(200);
  }

  await stopService(a.daemon);
  const outageStart = Date.now();
  const outageOffset = fs.statSync(a.adapterLog).size;
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < PAGES) {
        const i = next++;
        const response = await request(a.adapter, 'POST', '/api/v1/messages', {
          sender_user_id: `sender-${i % USERS}`,
          to: `recipient_${(i * 7) % USERS}@logs-b`,
          content: `page ${i} — log volume`,
        });
        if (response.status !== 202)
          throw new Error(`send ${i}: ${response.status} ${JSON.stringify(response.body)}`);
        ids.push(response.body.message_id);
      }
    }),
  );
  console.log(`queued ${ids.length} pages in ${((Date.now() - outageStart) / 1000).toFixed(1)} s`);
  await sleep(Math.max(0, outageStart + OUTAGE_MS - Date.now()));
  const outageEnd = Date.now();
  const recoveryOffset = fs.statSync(a.adapterLog).size;
  await a.startDiscovery();

  const wanted = new Set(ids);
  let states = new Map();
  for (;;) {
    await sleep(1000);
    states = await sentStates(a.adapter, wanted);
    const settled = [...states.values()].filter((s) => s !== 'queued' && s !== 'sending');
    if (settled.length === ids.length) break;
    if (Date.now() - outageEnd > 10 * 60_000) throw new Error('pages did not settle in 10 minutes');
  }
  const settledAt = Date.now();
  await sleep(1000); // the last final lines reach the file
  const endOffset = fs.statSync(a.adapterLog).size;
  const delivered = [...states.values()].filter((s) => s === 'delivered').length;

  const during = countLines(a.adapterLog, outageOffset, recoveryOffset);
  const after = countLines(a.adapterLog, recoveryOffset, endOffset);
  console.log(
    `delivered ${delivered}/${ids.length}, ${((settledAt - outageEnd) / 1000).toFixed(1)} s after the daemon came back`,
  );
  report("server A's adapter, daemon down", during, (outageEnd - outageStart) / 1000);
  report(
    "server A's adapter, daemon back until all delivered",
    after,
    (settledAt - outageEnd) / 1000,
  );
  console.log(`load average at the end: ${load()}`);
  for (const child of children) child.kill('SIGTERM');
  agent.destroy();
  await sleep(1500);
  process.exit(delivered === ids.length ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
