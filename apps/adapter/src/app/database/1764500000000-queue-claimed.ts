import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `queue_federated_page(...)`: a federated page accepted by `POST /api/v1/messages` is
 * inserted already claimed by the accepting replica (status sending, attempt 1, its claim
 * token, next_attempt_at = the lease's end, the first attempt's digest kept) when its
 * destination may take it now; otherwise queued as before. One round trip and one commit
 * instead of the queue's, the claim's and the digest's (`MessageStore.queueClaimed`).
 *
 * "May take it now" is decided under the claims' advisory lock (`MessageStore.claimDue`'s),
 * by statements that each take their snapshot once the lock is held (PL/pgSQL in READ
 * COMMITTED), so the per-destination cap holds over every replica as for a claim:
 * - the destination's breaker is closed (no row yet, or `healthy`);
 * - it has fewer than `cap` live claims;
 * - no page of it is due and waiting (a new page does not overtake them).
 * A page so inserted whose replica dies is taken by another once the lease runs out, like
 * any claim (attempt 1 is spent, as the claim would have spent it).
 */
export class QueueClaimed1764500000000 implements MigrationInterface {
  name = 'QueueClaimed1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE FUNCTION queue_federated_page(
        p_message_id text, p_origin_server text, p_sender_user_id text, p_from text, p_to text,
        p_content_json text, p_priority smallint, p_destination text, p_created_at timestamptz,
        p_trace_id text, p_trace_parent text,
        p_now timestamptz, p_cap integer, p_claim_token uuid, p_lease_end timestamptz, p_digest text)
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
                 AND f.next_attempt_at > p_now) < p_cap
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
      $fn$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      'DROP FUNCTION queue_federated_page(text, text, text, text, text, text, smallint, text, timestamptz, text, text, timestamptz, integer, uuid, timestamptz, text)',
    );
  }
}
