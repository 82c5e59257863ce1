import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { CommonConfig, DEFAULT_DATABASE_POOL_MAX } from '../config/common-config';
import {
  checkDatabaseUrl,
  describeConnectFailure,
  describeDatabaseUrl,
  passwordOf,
} from '../config/database-url';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres';

export interface DatabaseHandle {
  dataSource: DataSource;
  /** true when this process started its own PostgreSQL (no DATABASE_URL). */
  embedded: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  url: string | undefined;
  schema: string;
  /** Where the embedded server lives when `url` is unset. */
  embeddedDir: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** Connections this process opens at most (DATABASE_POOL_MAX, default 10). */
  poolSize?: number;
  /** Server-side limit per statement in ms, 0 = none (DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /**
   * How long a query waits for a free pooled connection or a new one (ms, default 5 000);
   * then it fails with "timeout exceeded when trying to connect", answered 503.
   */
  connectionTimeoutMs?: number;
  /**
   * How long the first connection at start may take, DNS, TCP, TLS and authentication
   * together (ms, default `FIRST_CONNECT_TIMEOUT_MS`); then the start fails with
   * `DatabaseConnectError` instead of waiting forever.
   */
  firstConnectTimeoutMs?: number;
}

/** The first connection at start gives up after this long (ms): docs/operations.md. */
export const FIRST_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The first connection to DATABASE_URL failed at start. Its message names the URL without
 * the password (`user:***@host:port/database`) and the cause (`describeConnectFailure`);
 * the service prints it as its one-line reason and exits 1.
 */
export class DatabaseConnectError extends Error {
  override readonly name = 'DatabaseConnectError';
}

/**
 * The message of a failed first connection to `url` (DATABASE_URL): which database, without
 * its password, and why. Pure.
 */
export function databaseConnectFailure(url: string, err: unknown): string {
  const checked = checkDatabaseUrl(url);
  const where = checked.ok ? describeDatabaseUrl(checked.parts) : 'the configured database';
  return `cannot connect to DATABASE_URL ${where}: ${describeConnectFailure(err, passwordOf(url))}`;
}

export function databaseOptionsFrom(
  config: CommonConfig,
  rest: Pick<OpenDatabaseOptions, 'entities' | 'migrations' | 'connectionTimeoutMs'>,
): OpenDatabaseOptions {
  return {
    url: config.databaseUrl,
    schema: config.databaseSchema,
    embeddedDir: join(config.dataDir, `postgres-${config.serviceName}`),
    poolSize: config.databasePoolMax,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    ...rest,
  };
}

/**
 * Connects to PostgreSQL (starting the embedded one if needed), creates the service's
 * schema and applies pending migrations under an advisory lock, so that replicas
 * starting together never run the same migration twice.
 *
 * Connections: at most `poolSize` (default 10) in the service's pool, plus, during start
 * only, the lock session and one migration connection (which has no statement timeout:
 * a migration may legitimately run long). Every pooled connection gets
 * `statement_timeout = statementTimeoutMs` (startup parameter) so that no request holds a
 * connection for longer; a query waiting longer than `connectionTimeoutMs` for a
 * connection fails (answered 503 by the HTTP layer).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  let embedded: EmbeddedDatabase | undefined;
  const url = options.url ?? (embedded = await startEmbeddedPostgres(options.embeddedDir)).url;
  const lock = new Client({
    connectionString: url,
    connectionTimeoutMillis: options.firstConnectTimeoutMs ?? FIRST_CONNECT_TIMEOUT_MS,
  });
  try {
    try {
      await lock.connect();
    } catch (err) {
      // An operator's URL gets a message they can act on; the embedded one is ours.
      if (options.url !== undefined)
        throw new DatabaseConnectError(databaseConnectFailure(options.url, err));
      throw err;
    }
    // Serialise schema creation and migrations across replicas starting together: the
    // session-level lock is held by `lock` while other sessions run the migrations.
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [
      `pager-migrations:${options.schema}`,
    ]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    const base = {
      type: 'postgres' as const,
      url,
      schema: options.schema,
      entities: options.entities,
      migrations: options.migrations,
      migrationsTableName: 'migrations',
      synchronize: false,
      migrationsRun: false,
      logging: false,
    };
    const searchPath = `-c search_path=${options.schema}`;
    const migrator = new DataSource({
      ...base,
      extra: { max: 1, options: searchPath, connectionTimeoutMillis: 10_000 },
    });
    await migrator.initialize();
    try {
      await migrator.runMigrations({ transaction: 'each' });
    } finally {
      await migrator.destroy();
    }
    const timeout = options.statementTimeoutMs ?? 0;
    const dataSource = new DataSource({
      ...base,
      extra: {
        max: options.poolSize ?? DEFAULT_DATABASE_POOL_MAX,
        options: timeout > 0 ? `${searchPath} -c statement_timeout=${timeout}` : searchPath,
        connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
        // Idle connections are closed after 30 s, so a quiet replica gives its share back.
        idleTimeoutMillis: 30_000,
      },
    });
    await dataSource.initialize();
    guardPooledClients(dataSource);
    await lock.end();
    return {
      dataSource,
      embedded: embedded !== undefined,
      close: async () => {
        if (dataSource.isInitialized) await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await lock.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

/** The pg pool under a TypeORM PostgreSQL data source (what its driver calls `master`). */
interface PgPool {
  on(event: 'connect', listener: (client: ErrorEmitter) => void): void;
  _clients?: ErrorEmitter[];
}

interface ErrorEmitter {
  on(event: 'error', listener: (err: Error) => void): void;
}

/** Marks a client as guarded, so that it gets one listener however often it is seen. */
const GUARDED = Symbol('pager.guarded');

/**
 * Gives every client of the data source's pool, present and future, a permanent `error`
 * listener. pg emits `error` on a client whose backend goes away between queries (57P01 on
 * a restart or failover, a reset); pg-pool listens while a client is idle and TypeORM while
 * a query runner holds it, and an `error` event that finds nobody listening throws and
 * ends the process. This listener only keeps the process alive: the client is no longer
 * queryable, so the pool drops it when it is released, the next query gets a fresh
 * connection, and the outage itself is reported by the queries that fail
 * (`DatabaseMonitor`). Seen once in the database-outage e2e: an adapter stopped with an
 * unhandled 57P01 while its PostgreSQL was stopped mid-load.
 */
export function guardPooledClients(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) return;
  const guard = (client: ErrorEmitter) => {
    const marked = client as ErrorEmitter & { [GUARDED]?: boolean };
    if (marked[GUARDED]) return;
    marked[GUARDED] = true;
    client.on('error', () => undefined);
  };
  pool.on('connect', guard);
  for (const client of pool._clients ?? []) guard(client);
}
