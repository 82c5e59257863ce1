#!/usr/bin/env node
// bench/table-flood (issue 9): one built discovery daemon with its default table bound
// (MAX_KNOWN_SERVERS 20,000, RELAYED_SERVERS_PER_NEIGHBOUR_PER_HOUR 2,000). Phase 1: one
// neighbour relays --relayed (50,000) valid invented announcements, all signed by one key,
// in envelopes of 500. Phase 2: --neighbours (10) more neighbours relay 2,000 each, past the
// table's size. Prints the daemon's resident memory (sampled every 250 ms) beside the 512 MiB
// limit of k8s/base/discovery-deployment.yaml, what was stored and dropped, and how fast it
// still answers afterwards.
//
//   npm run build && node bench/table-flood/run.js [--relayed 50000] [--neighbours 10]
// Uses DATABASE_URL when set (a schema of its own), else embedded PostgreSQL. Binds 127.0.0.75.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { jsonRequest, parseArgs } = require('../common/http-json');

const args = parseArgs();
const RELAYED = Number(args.relayed ?? 50_000);
const NEIGHBOURS = Number(args.neighbours ?? 10);
const PER_NEIGHBOUR = 2_000;
const MEMORY_LIMIT_MIB = 512;
const HOST = '127.0.0.75';
const BASE = `http://${HOST}:4100`;
const root = path.resolve(__dirname, '../..');
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function request(method, route, body) {
  return jsonRequest(agent, BASE, method, route, body);
}

/** Entries of `GET /api/v1/peers`, every page followed (the listing pages by 1,000). */
async function countPeers() {
  let count = 0;
  let cursor = null;
  do {
    const query = cursor ? `?limit=1000&cursor=${encodeURIComponent(cursor)}` : '?limit=1000';
    const page = (await request('GET', `/api/v1/peers${query}`)).body;
    count += page.peers.length;
    cursor = page.next_cursor;
  } while (cursor);
  return count;
}

// RFC 8785 for what this bench signs (strings, booleans, arrays, objects; no numbers):
// members sorted by UTF-16 code units, JSON.stringify's string escaping.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' });

function sign(obj) {
  const { signature: _s, rotation_signature: _r, ...unsigned } = obj;
  return new Promise((resolve, reject) =>
    crypto.sign('sha256', Buffer.from(canonical(unsigned)), privateKey, (err, sig) =>
      err ? reject(err) : resolve({ ...unsigned, signature: sig.toString('base64') }),
    ),
  );
}

const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const hex = () => crypto.randomBytes(16).toString('hex').toUpperCase();

function announcement(serverId) {
  return sign({
    version: '1.0',
    server_id: serverId,
    public_key: publicPem,
    capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] },
    endpoints: {
      federation: `http://127.0.0.76:9/${serverId}/federation`,
      discovery: `http://127.0.0.76:9/${serverId}/discovery`,
    },
    timestamp: timestamp(),
  });
}

async function envelope(from, announcements) {
  return sign({
    version: '1.0',
    type: 'gossip',
    gossip_id: `GOSSIP-${hex()}`,
    from,
    timestamp: timestamp(),
    digest_hash: 'a'.repeat(64),
    bucket_hashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
    announcements,
  });
}

function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function metric(name, label) {
  const { text } = await request('GET', '/metrics');
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(label))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Relays `count` invented servers as `from`, in envelopes of its own + 499. */
async function relay(from, prefix, count) {
  const own = await announcement(from);
  let sent = 0;
  while (sent < count) {
    const n = Math.min(499, count - sent);
    const invented = await Promise.all(
      Array.from({ length: n }, (_, i) => announcement(`${prefix}-${sent + i}.bench`)),
    );
    const res = await request(
      'POST',
      '/discovery/gossip',
      await envelope(from, [own, ...invented]),
    );
    if (res.status !== 200)
      throw new Error(`gossip from ${from}: ${res.status} ${res.text.slice(0, 200)}`);
    sent += n;
  }
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-table-flood-'));
  const env = {
    PATH: process.env.PATH,
    SERVER_ID: 'flood-target',
    BIND_ADDRESS: HOST,
    DATA_DIR: dir,
    ALLOW_PRIVATE_ENDPOINTS: 'true',
    DISCOVERY_PUBLIC_URL: `${BASE}/discovery`,
    GOSSIP_INTERVAL_MS: '3600000',
    RATE_LIMIT_GOSSIP_PER_HOUR: '10000000',
    LOG_LEVEL: 'warn',
    DATABASE_SCHEMA: `bench_flood_${process.pid}`,
  };
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
  const log = fs.openSync(path.join(dir, 'discovery.log'), 'a');
  const child = spawn(process.execPath, [path.join(root, 'dist/apps/discovery/main.js')], {
    env,
    stdio: ['ignore', log, log],
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await request('GET', '/health/ready')).status === 200) break;
      } catch {
        /* not yet */
      }
      if (i > 600) throw new Error('daemon not ready');
      await new Promise((r) => setTimeout(r, 200));
    }
    const rssStart = rssMiB(child.pid);
    let rssPeak = rssStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(child.pid))), 250);

    const phase1 = await timed(() => relay('relay-0.bench', 'one', RELAYED));
    const afterOne = await countPeers();
    const quotaDrops = await metric('discovery_table_dropped_total', 'reason="neighbour_quota"');
    const phase2 = await timed(async () => {
      for (let n = 1; n <= NEIGHBOURS; n++)
        await relay(`relay-${n}.bench`, `many${n}`, PER_NEIGHBOUR);
    });
    const fullDrops = await metric('discovery_table_dropped_total', 'reason="table_full"');
    const peers = await timed(() => request('GET', '/api/v1/peers'));
    const held = (await countPeers()) + 1; // + our own entry
    const route = await timed(() => request('POST', '/api/v1/route/relay-0.bench'));
    const fresh = await timed(async () =>
      request(
        'POST',
        '/discovery/gossip',
        await envelope('late.bench', [await announcement('late.bench')]),
      ),
    );
    const ready = await timed(() => request('GET', '/health/ready'));
    clearInterval(sampler);
    const rssEnd = rssMiB(child.pid);

    console.log(
      `table flood against one daemon (defaults: MAX_KNOWN_SERVERS 20000, 2000 per neighbour per hour)`,
    );
    console.log(
      `phase 1: one neighbour relayed ${RELAYED} invented servers in ${(phase1.ms / 1000).toFixed(1)} s (signing included)`,
    );
    console.log(
      `         stored ${afterOne - 1} invented (+ the neighbour, + own), dropped ${quotaDrops} (neighbour_quota)`,
    );
    console.log(
      `phase 2: ${NEIGHBOURS} more neighbours relayed ${PER_NEIGHBOUR} each in ${(phase2.ms / 1000).toFixed(1)} s`,
    );
    console.log(`         table ${held} entries, dropped ${fullDrops} (table_full)`);
    console.log(
      `memory:  RSS ${rssStart.toFixed(0)} MiB at start, peak ${rssPeak.toFixed(0)} MiB, ${rssEnd.toFixed(0)} MiB at the end; bound ${MEMORY_LIMIT_MIB} MiB (k8s limit)`,
    );
    console.log(
      `serving: GET /api/v1/peers (first page) ${peers.ms.toFixed(0)} ms (${peers.result.status}), route ${route.ms.toFixed(0)} ms (${route.result.status}), a new neighbour's gossip ${fresh.ms.toFixed(0)} ms (${fresh.result.status}), ready ${ready.ms.toFixed(0)} ms (${ready.result.status})`,
    );
    if (rssPeak > MEMORY_LIMIT_MIB) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
