import { TestSchema, openTestSchema } from '@pager/testing';
import type { DataSource } from 'typeorm';
import { ADAPTER_ENTITIES } from '../src/app/database/entities';
import { ADAPTER_MIGRATIONS } from '../src/app/database/migrations';

/**
 * For the store tests of a describe block: before them, a fresh migrated adapter schema
 * holding one user, u1 (alice), handed to `use`; after them, the schema is dropped.
 */
export function withAdapterSchema(use: (dataSource: DataSource) => void): void {
  let db: TestSchema | undefined;
  beforeAll(async () => {
    db = await openTestSchema(ADAPTER_ENTITIES, ADAPTER_MIGRATIONS);
    await db.dataSource.query(`INSERT INTO users (user_id, username) VALUES ('u1', 'alice')`);
    use(db.dataSource);
  });
  afterAll(() => db?.close());
}
