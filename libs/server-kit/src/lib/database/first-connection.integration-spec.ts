import { Server, Socket, createServer } from 'node:net';
import {
  DatabaseConnectError,
  FIRST_CONNECT_TIMEOUT_MS,
  databaseConnectFailure,
  openDatabase,
} from './open-database';

/**
 * The first connection at start to an operator's DATABASE_URL: a failure names the URL with
 * its password masked and the cause, and a server that never answers is given up on after
 * the connect timeout instead of being waited for forever.
 */
describe('the first connection to DATABASE_URL', () => {
  const open = (url: string, firstConnectTimeoutMs?: number) =>
    openDatabase({
      url,
      schema: 'it_first_connection',
      embeddedDir: '',
      entities: [],
      migrations: [],
      firstConnectTimeoutMs,
    });

  /** A port on loopback where nothing listens (bound, then closed). */
  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    return port;
  }

  it('is given up on after 10 s by default', () => {
    expect(FIRST_CONNECT_TIMEOUT_MS).toBe(10_000);
  });

  it('names the URL without its password and "connection refused" when nothing listens', async () => {
    const port = await freePort();
    const started = Date.now();
    const failure = await open(`postgres://pager:hunter2@127.0.0.1:${port}/pager`).catch(
      (e: Error) => e,
    );
    expect(failure).toBeInstanceOf(DatabaseConnectError);
    expect((failure as Error).message).toBe(
      `cannot connect to DATABASE_URL pager:***@127.0.0.1:${port}/pager: ` +
        'connection refused: nothing listens at that host and port (ECONNREFUSED)',
    );
    expect((failure as Error).message).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  describe('a server that accepts and never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    it('is given up on after the connect timeout', async () => {
      const port = (server.address() as { port: number }).port;
      const started = Date.now();
      const failure = await open(`postgres://u:pw@127.0.0.1:${port}/d`, 500).catch((e: Error) => e);
      const tookMs = Date.now() - started;
      expect(failure).toBeInstanceOf(DatabaseConnectError);
      expect((failure as Error).message).toBe(
        `cannot connect to DATABASE_URL u:***@127.0.0.1:${port}/d: no answer within the connect timeout`,
      );
      expect(tookMs).toBeGreaterThanOrEqual(450);
      expect(tookMs).toBeLessThan(5_000);
    });
  });

  it('names a database that does not exist (3D000) on a real PostgreSQL', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    url.pathname = '/no_such_database_pager_it';
    const failure = await open(url.toString()).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(DatabaseConnectError);
    expect((failure as Error).message).toMatch(
      /^cannot connect to DATABASE_URL .*\/no_such_database_pager_it: the database does not exist \(3D000\)$/,
    );
  });
});

describe('databaseConnectFailure', () => {
  it('masks the password even where the cause repeats it', () => {
    const err = Object.assign(new Error('role "u" with password s3cr3t refused'), {
      code: '28P01',
    });
    expect(databaseConnectFailure('postgres://u:s3cr3t@db/pager', err)).toBe(
      'cannot connect to DATABASE_URL u:***@db:5432/pager: authentication failed: wrong user name or password (28P01)',
    );
    expect(databaseConnectFailure('postgres://u:s3cr3t@db/pager', new Error('x s3cr3t'))).toBe(
      'cannot connect to DATABASE_URL u:***@db:5432/pager: x ***',
    );
  });
});
