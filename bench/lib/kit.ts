/**
 * I/O helpers shared by the benchmarks that start built daemons (bench/discovery/daemon.ts,
 * bench/route-flood, bench/gossip-live): HTTP to loopback, a fresh PostgreSQL database,
 * daemon processes, /proc readings, signed invented announcements. Run through
 * bench/lib/ts-run.js (ts-node, the repository's path aliases).
 */
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { Client } from 'pg';
import { formatProtocolTimestamp, newGossipId, signObjectAsync } from '@pager/protocol';
import { ServiceProcess, makeTempDir } from '@pager/testing';

export const ROOT = resolve(__dirname, '../..');

/**
 * `--name value` pairs of argv over `defaults`; a value is read as a number where the
 * default is one. Unknown names are kept (as given).
 */
export function options<T extends Record<string, number | string>>(defaults: T): T {
  const out: Record<string, number | string> = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    const name = argv[i].slice(2);
    const value = argv[++i] ?? '';
    out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
  }
  return out as T;
}

/** The benchmarks' key pool (bench/lib/key-pool.js, plain JS so that it runs on its own). */
export function benchKeys(count: number): Promise<BenchKey[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { keyPool } = require('./key-pool.js') as {
    keyPool: (n: number, log: (l: string) => void) => Promise<BenchKey[]>;
  };
  return keyPool(count, (line) => process.stderr.write(`${line}\n`));
}

export interface Reply {
  status: number;
  text: string;
  bytes: number;
  ms: number;
}

const agents = new Map<string, http.Agent>();

/** One HTTP request with a keep-alive agent per base URL; the wall time in ms. */
export function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  let agent = agents.get(base);
  if (agent === undefined) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    agents.set(base, agent);
  }
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const started = process.hrtime.bigint();
  return new Promise((resolveReply, reject) => {
    const req = http.request(
      base + path,
      {
        method,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          resolveReply({
            status: res.statusCode ?? 0,
            text: buffer.toString(),
            bytes: buffer.length,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Closes the keep-alive sockets (so that the bench process can exit). */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** The sum of a Prometheus counter/gauge's samples whose labels contain every `labels` part. */
export async function metric(base: string, name: string, ...labels: string[]): Promise<number> {
  const { text } = await request(base, 'GET', '/metrics');
  return text
    .split('\n')
    .filter(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        labels.every((p) => l.includes(p)),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** A fresh database on the PostgreSQL of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** PostgreSQL backends' process ids serving `database` (to read their CPU time). */
export async function backendPids(adminUrl: string, database: string): Promise<number[]> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1',
      [database],
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

export interface DaemonOptions {
  serverId: string;
  host: string;
  databaseUrl: string;
  env?: Record<string, string>;
}

/** A built discovery daemon (dist/apps/discovery/main.js) on `host`:4100, not yet started. */
export function daemon(options: DaemonOptions): ServiceProcess & { dataDir: string } {
  const dataDir = makeTempDir(`bench-${options.serverId}`);
  const base = `http://${options.host}:4100`;
  const service = new ServiceProcess({
    service: 'discovery',
    baseUrl: base,
    logFile: join(dataDir, 'discovery.log'),
    readyTimeoutMs: 120_000,
    // Another build's dist/ (e.g. a copy made before a change, to compare)
    repoRoot: process.env.BENCH_DIST_ROOT,
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the daemons of a bench
    nodeArgs: (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
    env: {
      SERVER_ID: options.serverId,
      BIND_ADDRESS: options.host,
      DISCOVERY_PUBLIC_URL: `${base}/discovery`,
      DATA_DIR: dataDir,
      DATABASE_URL: options.databaseUrl,
      DATABASE_SCHEMA: `d_${options.serverId.replace(/[^a-z0-9]/g, '_')}`,
      ALLOW_PRIVATE_ENDPOINTS: 'true',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  return Object.assign(service, { dataDir });
}

/** Resident memory of a process in MiB (VmRSS of /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** CPU ms of several processes summed (processes gone since are skipped). */
export function cpuMsOf(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuMs(pid);
    } catch {
      /* exited */
    }
  }
  return total;
}

/** "load 1.23 0.98 0.77" (1, 5, 15 min) of this machine. */
export function loadAverage(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it is true or `timeoutMs` passes (then throws `what`). */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface BenchKey {
  publicPem: string;
  privateKey: KeyObject;
}

/** A signed announcement of an invented server (PROTOCOL.md section 2), endpoints under `base`. */
export function inventedAnnouncement(
  serverId: string,
  key: BenchKey,
  base: string,
  timestampMs: number,
): Promise<Record<string, unknown>> {
  return signObjectAsync(
    {
      version: '1.0',
      server_id: serverId,
      public_key: key.publicPem,
      capabilities: { paging: true, ai_messaging: false, supported_versions: ['1.0'] },
      endpoints: {
        federation: `${base}/${serverId}/federation`,
        discovery: `${base}/${serverId}/discovery`,
      },
      timestamp: formatProtocolTimestamp(timestampMs),
    },
    key.privateKey,
  );
}

/**
 * A signed `gossip` envelope from `from` (whose own announcement must be among
 * `announcements`, or already pinned by the receiver). The digest members are a
 * placeholder unless given: the receiver answers with its differing buckets.
 */
export function gossipEnvelope(
  from: string,
  key: BenchKey,
  announcements: unknown[],
  digest: { digestHash: string; bucketHashes: string[] } = {
    digestHash: 'a'.repeat(64),
    bucketHashes: Array.from({ length: 64 }, () => 'b'.repeat(64)),
  },
): Promise<Record<string, unknown>> {
  return signObjectAsync(
    {
      version: '1.0',
      type: 'gossip',
      gossip_id: newGossipId(),
      from,
      timestamp: formatProtocolTimestamp(Date.now()),
      digest_hash: digest.digestHash,
      bucket_hashes: digest.bucketHashes,
      announcements,
    },
    key.privateKey,
  );
}

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}
