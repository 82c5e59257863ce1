import { openDatabase, OpenDatabaseOptions } from '@pager/server-kit';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';

export interface TestSchema {
  dataSource: DataSource;
  /** `it_<hex>`, unique per call. */
  schema: string;
  /** Drops the schema (CASCADE) and closes the connection. */
  close(): Promise<void>;
}

/** A fresh schema in the test PostgreSQL (TEST_DATABASE_URL) with the given migrations applied. */
export async function openTestSchema(
  entities: OpenDatabaseOptions['entities'],
  migrations: OpenDatabaseOptions['migrations'],
): Promise<TestSchema> {
  const schema = `it_${randomBytes(6).toString('hex')}`;
  const handle = await openDatabase({
    url: process.env.TEST_DATABASE_URL,
    schema,
    embeddedDir: '',
    entities,
    migrations,
  });
  return {
    dataSource: handle.dataSource,
    schema,
    close: async () => {
      await handle.dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      await handle.close();
    },
  };
}

/** Drops a schema of the test PostgreSQL, if it exists, over a connection of its own. */
export async function dropTestSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
