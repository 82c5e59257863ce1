import { randomBytes } from 'node:crypto';
import { DatabaseHandle, openDatabase } from '@pager/server-kit';
import { ADAPTER_ENTITIES } from '../src/app/database/entities';
import { ADAPTER_MIGRATIONS } from '../src/app/database/migrations';

/** A fresh, migrated schema in the test PostgreSQL; `drop()` removes it. */
export async function openTestDatabase(): Promise<DatabaseHandle & { schema: string; drop(): Promise<void> }> {
  const schema = `it_${randomBytes(6).toString('hex')}`;
  const handle = await openDatabase({
    url: process.env.TEST_DATABASE_URL,
    schema,
    embeddedDir: '',
    entities: ADAPTER_ENTITIES,
    migrations: ADAPTER_MIGRATIONS,
  });
  return {
    ...handle,
    schema,
    drop: async () => {
      await handle.dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      await handle.close();
    },
  };
}
