import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { guardPooledClients, openDatabase } from './open-database';

/**
 * A backend that PostgreSQL terminates (a restart, a failover, `pg_terminate_backend`)
 * while the service holds its connection must never crash the process: pg emits `error`
 * on a client between queries, and an `error` event nobody listens to throws.
 */
describe('a pooled connection terminated by the server', () => {
  const url = process.env.TEST_DATABASE_URL as string;
  const schema = `it_term_${randomBytes(4).toString('hex')}`;
  let handle: Awaited<ReturnType<typeof openDatabase>>;
  let dataSource: DataSource;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    handle = await openDatabase({ url, schema, embeddedDir: '', entities: [], migrations: [] });
    dataSource = handle.dataSource;
    process.on('uncaughtException', onUncaught);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await handle?.close();
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  async function terminate(pids: number[]): Promise<void> {
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
    await admin.end();
    await new Promise((r) => setTimeout(r, 300));
  }

  const pidOf = async (run: (sql: string) => Promise<{ pid: number }[]>) =>
    (await run('SELECT pg_backend_pid() AS pid'))[0].pid;

  it('survives the termination of idle pooled connections', async () => {
    const pids = await Promise.all(
      Array.from({ length: 3 }, () => pidOf((sql) => dataSource.query(sql))),
    );
    await terminate(pids);
    expect(uncaught).toEqual([]);
    expect((await dataSource.query('SELECT 1 AS one'))[0].one).toBe(1);
  });

  it('survives the termination of a connection a query runner holds between queries', async () => {
    const runner = dataSource.createQueryRunner();
    const pid = await pidOf((sql) => runner.query(sql));
    await terminate([pid]);
    await runner.release();
    expect(uncaught).toEqual([]);
    expect((await dataSource.query('SELECT 1 AS one'))[0].one).toBe(1);
  });

  it('survives the termination of a raw client checked out through a runner', async () => {
    const runner = dataSource.createQueryRunner();
    const client = (await runner.connect()) as Client;
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await terminate([pid]);
    await client.query('SELECT 1').catch(() => undefined);
    await runner.release();
    await terminate([pid]);
    expect(uncaught).toEqual([]);
    expect((await dataSource.query('SELECT 1 AS one'))[0].one).toBe(1);
  });
});

describe(guardPooledClients.name, () => {
  const url = process.env.TEST_DATABASE_URL as string;
  const schema = `it_guard_${randomBytes(4).toString('hex')}`;
  let handle: Awaited<ReturnType<typeof openDatabase>>;

  beforeAll(async () => {
    handle = await openDatabase({ url, schema, embeddedDir: '', entities: [], migrations: [] });
  });

  afterAll(async () => {
    await handle?.close();
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('leaves no pooled client without an error listener, even one a runner holds', async () => {
    const runner = handle.dataSource.createQueryRunner();
    const client = (await runner.connect()) as Client;
    await Promise.all([1, 2, 3].map(() => handle.dataSource.query('SELECT pg_sleep(0.05)')));
    // What TypeORM does when it lets go of a client: its own listener (the newest) comes off.
    const typeormListener = client.listeners('error').at(-1) as (err: Error) => void;
    client.removeListener('error', typeormListener);
    const pool = (handle.dataSource.driver as unknown as { master: { _clients: Client[] } }).master;
    for (const pooled of pool._clients) {
      expect(pooled.listenerCount('error')).toBeGreaterThanOrEqual(1);
    }
    // So an error on it is heard; on a client with no listener at all it would throw (and
    // end the process).
    expect(() => client.emit('error', new Error('57P01, guarded'))).not.toThrow();
    const bare = new Client({ connectionString: url });
    expect(() => bare.emit('error', new Error('57P01'))).toThrow('57P01');
    client.on('error', typeormListener);
    await runner.release();
  });

  it('guards a client created after the data source started', async () => {
    const pool = (handle.dataSource.driver as unknown as { master: { _clients: Client[] } }).master;
    const runners = Array.from({ length: 4 }, () => handle.dataSource.createQueryRunner());
    const clients = (await Promise.all(runners.map((r) => r.connect()))) as Client[];
    for (const client of clients) {
      const listeners = client.listeners('error');
      // TypeORM's listener and ours: removing TypeORM's leaves ours.
      expect(listeners.length).toBeGreaterThanOrEqual(2);
    }
    expect(pool._clients.length).toBeGreaterThanOrEqual(4);
    await Promise.all(runners.map((r) => r.release()));
  });
});
