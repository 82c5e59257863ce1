import type { QueryRunner } from 'typeorm';

/**
 * Gives a connection back to the pool to be destroyed, not reused: it may still hold the
 * lock or a LISTEN, or be broken. TypeORM's PostgreSQL query runner passes the error on to pg-pool,
 * which then discards the client.
 */
export async function releaseBroken(runner: QueryRunner, err: Error): Promise<void> {
  const postgres = runner as unknown as {
    releasePostgresConnection?: (error?: Error) => Promise<void>;
  };
  try {
    if (typeof postgres.releasePostgresConnection === 'function') {
      await postgres.releasePostgresConnection(err);
    } else {
      await runner.release();
    }
  } catch {
    // already released or the pool is gone: nothing left to free
  }
}
