/**
 * Jest global setup for integration and e2e tests: provides TEST_DATABASE_URL. When it is
 * already set (e.g. the machine's PostgreSQL), it is used as is; otherwise an embedded
 * PostgreSQL is started in a temporary directory and stopped by the teardown.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Jest loads global setup outside its module mapper, so the alias cannot resolve here.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startEmbeddedPostgres } from '../../../server-kit/src/lib/database/embedded-postgres';

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const dir = mkdtempSync(join(tmpdir(), 'pager-test-pg-'));
  const database = await startEmbeddedPostgres(dir);
  process.env.TEST_DATABASE_URL = database.url;
  (globalThis as Record<string, unknown>).__PAGER_TEST_PG__ = { stop: database.stop, dir };
}
