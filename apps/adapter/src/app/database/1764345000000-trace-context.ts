import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context of a page (docs/operations.md, "Following a page across servers"):
 * `trace_id` (32 lowercase hex digits) follows the page between servers, `trace_parent`
 * (16 hex digits) is the span that later work on the page parents from: for a page sent
 * from here, the span of its creation (`POST /api/v1/messages`), so that each delivery
 * attempt is a child of it, across restarts; for a page received here, the span of the
 * inbound request that stored it. Null for pages older than this migration. Written in the
 * same INSERT as the page, never read by delivery decisions.
 */
export class TraceContext1764345000000 implements MigrationInterface {
  name = 'TraceContext1764345000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE messages
        ADD COLUMN trace_id text CHECK (trace_id ~ '^[0-9a-f]{32}$'),
        ADD COLUMN trace_parent text CHECK (trace_parent ~ '^[0-9a-f]{16}$')`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE messages DROP COLUMN trace_id, DROP COLUMN trace_parent');
  }
}
