import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `queue_federated_page(...)` (migration 1764500000000) takes a second cap,
 * `p_unproven_cap`: a page is inserted already claimed only while its destination has
 * fewer live claims than `p_cap` if the destination has proven itself (healthy, acked at
 * least once, no failure since: destination-rules.ts `isProvenDestination`, mirrored here),
 * else fewer than `p_unproven_cap` (`UNPROVEN_MAX_IN_FLIGHT`), as `MessageStore.claimDue`
 * decides for the outbox. The rest of the function is unchanged.
 */
export class UnprovenDestinationCap1764600000000 implements MigrationInterface {
  name = 'UnprovenDestinationCap1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'DROP FUNCTION queue_federated_page(text, text, text, text, text, text, smallint, text, timestamptz, text, text, timestamptz, integer, uuid, timestamptz, text)',
    );
    await runner.query(functionSql(true));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      'DROP FUNCTION queue_federated_page(text, text, text, text, text, text, smallint, text, timestamptz, text, text, timestamptz, integer, integer, uuid, timestamptz, text)',
    );
    await runner.query(functionSql(false));
  }
}

/** The function with the unproven cap (`withUnprovenCap`) or as migration 1764500000000 made it. */
function functionSql(withUnprovenCap: boolean): string {
  const cap = withUnprovenCap
    ? `CASE WHEN EXISTS (SELECT 1 FROM destinations d WHERE d.server_id = p_destination
                  AND d.state = 'healthy' AND d.last_success_at IS NOT NULL AND d.consecutive_failures = 0)
                THEN p_cap ELSE LEAST(p_cap, p_unproven_cap) END`
    : 'p_cap';
  return `
      CREATE FUNCTION queue_federated_page(
        p_message_id text, p_origin_server text, p_sender_user_id text, p_from text, p_to text,
        p_content_json text, p_priority smallint, p_destination text, p_created_at timestamptz,
        p_trace_id text, p_trace_parent text,
        p_now timestamptz, p_cap integer, ${withUnprovenCap ? 'p_unproven_cap integer, ' : ''}p_claim_token uuid,
        p_lease_end timestamptz, p_digest text)
      RETURNS SETOF messages LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        room boolean;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.delivery_claim'));
        SELECT NOT EXISTS (SELECT 1 FROM destinations d WHERE d.server_id = p_destination AND d.state <> 'healthy')
          AND NOT EXISTS (SELECT 1 FROM messages w
                          WHERE w.destination = p_destination AND w.status IN ('queued', 'sending')
                            AND w.next_attempt_at <= p_now)
          AND (SELECT count(*) FROM messages f
               WHERE f.destination = p_destination AND f.status = 'sending' AND f.claim_token IS NOT NULL
                 AND f.next_attempt_at > p_now) < ${cap}
        INTO room;
        RETURN QUERY
          INSERT INTO messages (message_id, origin_server, sender_user_id, from_address, to_address, content_json,
            priority, status, destination, attempts, next_attempt_at, claim_token, attempt_digests, created_at,
            trace_id, trace_parent)
          VALUES (p_message_id, p_origin_server, p_sender_user_id, p_from, p_to, p_content_json, p_priority,
            CASE WHEN room THEN 'sending' ELSE 'queued' END, p_destination, CASE WHEN room THEN 1 ELSE 0 END,
            CASE WHEN room THEN p_lease_end ELSE p_created_at END, CASE WHEN room THEN p_claim_token END,
            CASE WHEN room THEN ARRAY[p_digest] ELSE '{}'::text[] END, p_created_at, p_trace_id, p_trace_parent)
          RETURNING *;
      END
      $fn$`;
}
