import { spawn } from 'node:child_process';
import { Server, Socket, createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, makeTempDir } from '@pager/testing';

/**
 * The built services refusing to start on a DATABASE_URL or PEER_FILES they cannot use, the
 * way an operator meets it: exit 1 within bounds, one line on stderr naming the variable
 * (the URL with its password masked) and the cause; the password nowhere in the output.
 * Nothing listens on 127.0.1.70 but the silent database of one test.
 */
jest.setTimeout(60_000);

const HOST = '127.0.1.70';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  tookMs: number;
}

/** Starts `dist/apps/<service>/main.js` with `env` and waits for it to exit (at most 30 s). */
function run(service: 'discovery' | 'adapter', env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/apps', service, 'main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: makeTempDir(`startup-${service}`),
        BIND_ADDRESS: HOST,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} still running after 30 s:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, tookMs: Date.now() - started });
    });
  });
}

/** A port on HOST where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('a service started with a DATABASE_URL or PEER_FILES it cannot use', () => {
  it('adapter: nothing listens at DATABASE_URL: exit 1 at once, the URL masked, "connection refused"', async () => {
    const port = await closedPort();
    const result = await run('adapter', {
      DATABASE_URL: `postgres://pager:hunter2-secret@${HOST}:${port}/pager`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `adapter: cannot start: cannot connect to DATABASE_URL pager:***@${HOST}:${port}/pager: ` +
        'connection refused: nothing listens at that host and port (ECONNREFUSED)\n',
    );
    expect(result.stdout + result.stderr).not.toContain('hunter2');
    expect(result.tookMs).toBeLessThan(10_000);
  });

  describe('discovery: a database that accepts and never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((r) => server.listen(0, HOST, r));
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    it('gives up after the 10 s connect timeout: exit 1, the URL masked', async () => {
      const port = (server.address() as { port: number }).port;
      const result = await run('discovery', {
        DATABASE_URL: `postgresql://ops:pw-kept-out@${HOST}:${port}/federation`,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `discovery: cannot start: cannot connect to DATABASE_URL ops:***@${HOST}:${port}/federation: ` +
          'no answer within the connect timeout\n',
      );
      expect(result.stdout + result.stderr).not.toContain('pw-kept-out');
      expect(result.tookMs).toBeGreaterThanOrEqual(9_500);
      expect(result.tookMs).toBeLessThan(20_000);
    });
  });

  it.each([
    ['   ', 'DATABASE_URL is only whitespace'],
    ['mysql://u:pw@db/pager', 'DATABASE_URL has the scheme "mysql"; expected postgres://'],
    ['postgres://u:pw@db:99999/pager', 'DATABASE_URL has the port "99999"; expected a number'],
    ['postgres://u:pw@db:5432', 'DATABASE_URL names no database'],
  ])('adapter: DATABASE_URL=%j: exit 1 before anything starts', async (url, expected) => {
    const result = await run('adapter', { DATABASE_URL: url });
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(`adapter: cannot start: ${expected}`)).toBe(true);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.tookMs).toBeLessThan(10_000);
  });

  it('discovery: a PEER_FILES path that does not exist: exit 1 naming it', async () => {
    const missing = join(makeTempDir('startup-peers'), 'peers.json');
    const result = await run('discovery', { PEER_FILES: missing });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `discovery: cannot start: PEER_FILES names "${missing}", which cannot be read: no such file (ENOENT)\n`,
    );
  });

  it('discovery: a PEER_FILES path that is a directory: exit 1 naming it', async () => {
    const dir = makeTempDir('startup-peers-dir');
    const result = await run('discovery', { PEER_FILES: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `PEER_FILES names "${dir}", which cannot be read: not a regular file`,
    );
  });
});
