import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource, MixedList, EntitySchema } from 'typeorm';
import type { CommonConfig } from '../config/common-config';
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
  poolSize?: number;
}

export function databaseOptionsFrom(
  config: CommonConfig,
  rest: Pick<OpenDatabaseOptions, 'entities' | 'migrations' | 'poolSize'>,
): OpenDatabaseOptions {
  return {
    url: config.databaseUrl,
    schema: config.databaseSchema,
    embeddedDir: join(config.dataDir, `postgres-${config.serviceName}`),
    ...rest,
  };
}

/**
 * Connects to PostgreSQL (starting the embedded one if needed), creates the service's
 * schema and applies pending migrations under an advisory lock, so that replicas
 * starting together never run the same migration twice.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  let embedded: EmbeddedDatabase | undefined;
  const url = options.url ?? (embedded = await startEmbeddedPostgres(options.embeddedDir)).url;
  const lock = new Client({ connectionString: url });
  try {
    await lock.connect();
    // Serialise schema creation and migrations across replicas starting together: the
    // session-level lock is held by `lock` while other sessions run the migrations.
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [
      `pager-migrations:${options.schema}`,
    ]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      schema: options.schema,
      entities: options.entities,
      migrations: options.migrations,
      migrationsTableName: 'migrations',
      synchronize: false,
      migrationsRun: false,
      logging: false,
      extra: {
        max: options.poolSize ?? 20,
        options: `-c search_path=${options.schema}`,
        connectionTimeoutMillis: 10_000,
      },
    });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
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
