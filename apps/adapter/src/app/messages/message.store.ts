import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Message } from '@pager/protocol';
import type { TraceContext } from '@pager/server-kit';
import { DataSource, EntityManager } from 'typeorm';
import { Batcher } from '../common/batcher';
import { encodeContent } from '../common/stored-content';
import { PROVEN_DESTINATION_SQL } from '../delivery/destination-rules';
import { MESSAGE_VIEW_COLUMNS, MessageRow } from './message-view';

interface FinalStatus {
  id: string;
  claimToken: string;
  status: 'delivered' | 'rejected' | 'failed';
  lastError: string | null;
  deliveredAt: Date | null;
  signedPayload: string | null;
  /** The attempt that ended the page, added to its history by the same statement. */
  attempt: AttemptRecord | null;
}

/** A federated page to queue (`queueFederated`). */
export interface QueuedPage {
  messageId: string;
  originServer: string;
  senderUserId: string;
  from: string;
  to: string;
  contentJson: string;
  priority: number;
  destination: string;
  createdAt: Date;
  /** The page's trace (32 hex digits) and the span its attempts parent from (16), if any. */
  traceId?: string | null;
  traceParent?: string | null;
}

/** A local page, delivered at once into both boxes (`insertLocal`). */
export interface LocalPage {
  messageId: string;
  originServer: string;
  senderUserId: string;
  recipientUserId: string;
  from: string;
  to: string;
  contentJson: string;
  priority: number;
  createdAt: Date;
  /** The page's trace (32 hex digits) and the span its attempts parent from (16), if any. */
  traceId?: string | null;
  traceParent?: string | null;
}

/** A destination's federated pages not yet settled (`pageCounts`). */
export interface PageCounts {
  /** Due or queued, not claimed by a live attempt. */
  waiting: number;
  /** Claimed by an attempt whose lease still runs. */
  inFlight: number;
  /** When the oldest of them was created (ms since the epoch). */
  firstPageMs: number;
}

/** A federated page claimed for one attempt; `claimToken` fences the outcome update. */
export interface ClaimedPage extends MessageRow {
  destination: string;
  claim_token: string;
  /**
   * The page had already spent every attempt when claimed (the worker of its last attempt
   * died): it is not sent again, it ends `failed`. `attempts` is never raised past the limit.
   */
  exhausted: boolean;
  /** The probe of an unreachable destination: a failure hands it back (no attempt spent). */
  probe: boolean;
  /**
   * The destination had proven itself when the page was claimed (destination-rules.ts
   * `isProvenDestination`); false for probes. The delivery service counts the others against
   * the unproven share of its slots.
   */
  proven: boolean;
  /** The page's trace id and the span its attempts parent from; null for older pages. */
  trace_id: string | null;
  trace_parent: string | null;
  /** Set by the delivery service: the span of the attempt in progress (not stored). */
  span?: TraceContext;
  /** The receiver's span from the ack's `traceparent`, if it sent one in this trace. */
  ackSpanId?: string;
  /**
   * A page claimed as it was queued (`queueClaimed`): its first attempt, signed before the
   * insert, whose digest that statement kept (not stored otherwise).
   */
  presigned?: { message: Message; digest: string };
}

/** One request that left for a destination (SERVICES.md: the page's attempt history). */
export interface AttemptRecord {
  messageRowId: string;
  attempt: number;
  probe: boolean;
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  /**
   * delivered, rejected, refused (a final 4xx), transient (to be retried or failed), or
   * key_mismatch_retried (a `401 key_mismatch` during our key rotation, answered by the
   * page's one immediate retry; it spends no attempt: docs/protocol.md §14).
   */
  outcome: string;
  digest: string | null;
}

/** An attempt as `GET /api/v1/messages/{id}` lists it. */
export interface AttemptView {
  attempt: number;
  probe: boolean;
  started_at: string;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
  outcome: string;
}

export interface ReceiptDecision {
  senderServer: string;
  messageId: string;
  digest: string;
  status: 'delivered' | 'rejected';
  reason: string | null;
}

export interface InboxEntry {
  recipientUserId: string;
  from: string;
  to: string;
  content: string;
  priority: number;
  /** The inbound request's trace id and span (docs/operations.md), stored with the page. */
  traceId?: string | null;
  traceParent?: string | null;
}

export interface StoredReceipt {
  status: 'delivered' | 'rejected';
  /** `message_digest` of the copy stored first: what every ack for this message names. */
  digest: string;
  reason: string | null;
  /** false when (sender server, message_id) had been received before: nothing was added. */
  created: boolean;
  /** The inbox row written now, if any. */
  inboxRow?: MessageRow;
}

interface PendingReceipt {
  decision: ReceiptDecision;
  /** The inbox row to add with the receipt (a delivered page), else null. */
  inbox: InboxEntry | null;
  receivedAt: Date;
}

interface RecordResult {
  /** Whether this statement inserted the receipt. */
  created: boolean;
  inboxRow?: MessageRow;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `sql` with `$n` replaced by the literal of `params[n - 1]`, for a statement sent in a
 * multi-statement simple query (which takes no parameters). Only values made here are
 * accepted: a Date (timestamptz), a safe integer, or a UUID; anything else throws.
 */
function inlineParameters(sql: string, params: (Date | number | string)[]): string {
  const literals = params.map((v) => {
    if (v instanceof Date) return `'${v.toISOString()}'::timestamptz`;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
    if (typeof v === 'string' && UUID.test(v)) return `'${v}'::uuid`;
    throw new Error(`not an inlinable parameter: ${String(v)}`);
  });
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const literal = literals[Number(n) - 1];
    if (literal === undefined) throw new Error(`no parameter $${n}`);
    return literal;
  });
}

function receiptKey(senderServer: string, messageId: string): string {
  return `${senderServer}\u0000${messageId}`;
}

function compareKeys(x: PendingReceipt, y: PendingReceipt): number {
  const a = receiptKey(x.decision.senderServer, x.decision.messageId);
  const b = receiptKey(y.decision.senderServer, y.decision.messageId);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The one owner of the `messages` table (and of what is written with it: a received
 * page's inbound receipt, an outgoing page's attempt history): a page's whole life is here.
 *
 * - Sending: a local page is stored delivered in both boxes (`insertLocal`); a federated
 *   page is queued (`queueFederated`).
 * - The durable outbox: federated pages with status queued or sending. A claim is one
 *   statement (`FOR UPDATE SKIP LOCKED`, then status sending, attempt + 1, next_attempt_at =
 *   the lease's end), so replicas never claim the same attempt, and a claim whose worker
 *   died is taken again once its lease has run out. Outcomes are fenced by the claim token.
 * - Receiving: (sender server, message_id) is delivered at most once: the receipt is inserted with
 *   ON CONFLICT DO NOTHING in the same statement (so the same transaction) as the inbox row, so concurrent repeats
 *   (other replicas included) wait for the first and then read back its answer.
 * - Reading: a page's delivery state and history, a user's boxes.
 */
@Injectable()
export class MessageStore {
  /** Final statuses of attempts that end together are written by one UPDATE. */
  private readonly finishing = new Batcher<FinalStatus, MessageRow | undefined>(
    (items) => this.finishAll(items),
    {
      maxBatch: 256,
      maxRunning: 2,
      keyOf: (item) => item.id,
    },
  );

  /** Attempt records that end together are inserted by one statement. */
  private readonly recording = new Batcher<AttemptRecord, void>(
    (items) => this.insertAttempts(items),
    { maxBatch: 256, maxRunning: 2 },
  );

  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  // --- Sending ---

  /**
   * Federated pages accepted at the same time are queued by one multi-row INSERT (one
   * statement, one commit); each caller resolves only once its row is committed.
   */
  private readonly queueing = new Batcher<QueuedPage, void>((pages) => this.insertQueued(pages), {
    maxBatch: 256,
    maxRunning: 2,
  });

  /** Queues a federated page (status queued, due now); resolves once committed. */
  queueFederated(page: QueuedPage): Promise<void> {
    return this.queueing.submit(page);
  }

  private async insertQueued(pages: QueuedPage[]): Promise<void[]> {
    await this.db.query(
      `INSERT INTO messages (message_id, origin_server, sender_user_id, from_address, to_address, content_json, priority,
         status, destination, attempts, next_attempt_at, created_at, trace_id, trace_parent)
       SELECT v.message_id, v.origin_server, v.sender_user_id, v.from_address, v.to_address, v.content_json, v.priority,
         'queued', v.destination, 0, v.created_at, v.created_at, v.trace_id, v.trace_parent
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[], $9::timestamptz[],
         $10::text[], $11::text[])
         AS v(message_id, origin_server, sender_user_id, from_address, to_address, content_json, priority, destination, created_at,
           trace_id, trace_parent)`,
      [
        pages.map((p) => p.messageId),
        pages.map((p) => p.originServer),
        pages.map((p) => p.senderUserId),
        pages.map((p) => p.from),
        pages.map((p) => p.to),
        pages.map((p) => p.contentJson),
        pages.map((p) => p.priority),
        pages.map((p) => p.destination),
        pages.map((p) => p.createdAt),
        pages.map((p) => p.traceId ?? null),
        pages.map((p) => p.traceParent ?? null),
      ],
    );
    return pages.map(() => undefined);
  }

  /**
   * Queues a federated page already claimed by this replica for its first attempt, when its
   * destination may take it now (breaker closed, fewer than `claim.perDestination` live
   * claims over all replicas, no page of it due and waiting; decided under the claims' lock,
   * migration 1764500000000): status sending, attempts 1, `claim.token`, next_attempt_at =
   * `claim.leaseEndMs`, and `claim.digest` (the first attempt's, signed before) kept, in one
   * statement and one commit. Otherwise the page is queued as by `queueFederated`.
   * Answers the claimed page (to be sent by this replica now), or undefined when queued.
   * Either way the page is committed when this resolves.
   */
  async queueClaimed(
    page: QueuedPage,
    claim: {
      nowMs: number;
      perDestination: number;
      /** The cap of a destination that has not proven itself (`UNPROVEN_MAX_IN_FLIGHT`). */
      unprovenCap: number;
      token: string;
      leaseEndMs: number;
      digest: string;
    },
  ): Promise<ClaimedPage | undefined> {
    const columns = MESSAGE_VIEW_COLUMNS.split(', ')
      .map((c) => `q.${c}`)
      .join(', ');
    const rows: ClaimedPage[] = await this.db.query(
      `SELECT ${columns}, q.destination, q.claim_token, false AS exhausted, false AS probe, q.trace_id, q.trace_parent,
         EXISTS (SELECT 1 FROM destinations d WHERE d.server_id = q.destination AND ${PROVEN_DESTINATION_SQL}) AS proven
       FROM queue_federated_page($1, $2, $3, $4, $5, $6, $7::smallint, $8, $9, $10, $11, $12, $13::integer, $14::integer,
         $15::uuid, $16, $17) AS q`,
      [
        page.messageId,
        page.originServer,
        page.senderUserId,
        page.from,
        page.to,
        page.contentJson,
        page.priority,
        page.destination,
        page.createdAt,
        page.traceId ?? null,
        page.traceParent ?? null,
        new Date(claim.nowMs),
        claim.perDestination,
        claim.unprovenCap,
        claim.token,
        new Date(claim.leaseEndMs),
        claim.digest,
      ],
    );
    const row = rows[0];
    return row?.claim_token ? row : undefined;
  }

  /** Stores a local page, delivered, in the transaction of `manager` (the recipient checks). */
  async insertLocal(manager: EntityManager, page: LocalPage): Promise<MessageRow> {
    const rows = (await manager.query(
      `INSERT INTO messages (message_id, origin_server, sender_user_id, recipient_user_id, from_address, to_address,
         content_json, priority, status, created_at, delivered_at, trace_id, trace_parent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'delivered', $9, $9, $10, $11)
       RETURNING ${MESSAGE_VIEW_COLUMNS}`,
      [
        page.messageId,
        page.originServer,
        page.senderUserId,
        page.recipientUserId,
        page.from,
        page.to,
        page.contentJson,
        page.priority,
        page.createdAt,
        page.traceId ?? null,
        page.traceParent ?? null,
      ],
    )) as MessageRow[];
    return rows[0];
  }

  // --- Reading ---

  /** The page `messageId` as sent from `serverId` or, failing that, as received here. */
  async stateOf(messageId: string, serverId: string): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages WHERE message_id = $1
       ORDER BY (origin_server = $2) DESC, id LIMIT 1`,
      [messageId, serverId],
    );
    return rows[0];
  }

  /** Where page `messageId` sits in a box (a paging cursor), or undefined. */
  async boxAnchor(
    box: 'inbox' | 'sent',
    userId: string,
    messageId: string,
  ): Promise<{ created_at: Date; id: string } | undefined> {
    const column = box === 'inbox' ? 'recipient_user_id' : 'sender_user_id';
    const anchor: { created_at: Date; id: string }[] = await this.db.query(
      `SELECT created_at, id FROM messages WHERE ${column} = $1 AND message_id = $2 ORDER BY id LIMIT 1`,
      [userId, messageId],
    );
    return anchor[0];
  }

  /** A box, newest first, `limit` pages strictly before `before` (a row's position or a time). */
  async readBox(
    box: 'inbox' | 'sent',
    userId: string,
    limit: number,
    before?: { created_at: Date; id: string } | Date,
  ): Promise<MessageRow[]> {
    const column = box === 'inbox' ? 'recipient_user_id' : 'sender_user_id';
    const params: unknown[] = [userId, limit];
    let cursor = '';
    if (before instanceof Date) {
      params.push(before);
      cursor = 'AND created_at < $3';
    } else if (before !== undefined) {
      params.push(before.created_at, before.id);
      cursor = 'AND (created_at, id) < ($3, $4)';
    }
    return this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages WHERE ${column} = $1 ${cursor}
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
  }

  // --- The outbox ---

  /**
   * Claims up to `limit` due pages for one attempt each: status sending, attempts + 1 (never
   * past `maxAttempts`), a new claim token, and next_attempt_at = the lease's end, which
   * must outlive the attempt (ack timeout plus bookkeeping) so that it never runs twice.
   *
   * Isolation (issue 7): pages of a destination that is unreachable or stopped are not
   * claimed (they wait without spending attempts), and no destination has more than
   * `perDestination` pages in flight over all replicas: claims are serialised by a
   * transaction-scoped advisory lock of this schema, and the destinations take turns.
   *
   * Cost: the destinations with waiting pages are found by a loose index scan, and each is
   * read only up to the room its cap leaves (at most `limit` rows), over the indexes of
   * migration 1764400000000; a claim no longer ranks every due page of the queue.
   */
  async claimDue(
    limit: number,
    nowMs: number,
    leaseMs: number,
    maxAttempts = 2_000_000_000,
    perDestination = 2_000_000_000,
    unproven: { cap: number; room: number } = { cap: 2_000_000_000, room: 2_000_000_000 },
  ): Promise<ClaimedPage[]> {
    if (limit <= 0) return [];
    const token = randomUUID();
    const columns = MESSAGE_VIEW_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ');
    const claim = inlineParameters(
      `WITH RECURSIVE waiting_for(destination) AS (
           (SELECT destination FROM messages WHERE status IN ('queued', 'sending') AND destination IS NOT NULL
            ORDER BY destination LIMIT 1)
           UNION ALL
           SELECT (SELECT m.destination FROM messages m
                   WHERE m.status IN ('queued', 'sending') AND m.destination > w.destination
                   ORDER BY m.destination LIMIT 1)
           FROM waiting_for w WHERE w.destination IS NOT NULL
         ), judged AS (
           SELECT w.destination, COALESCE(${PROVEN_DESTINATION_SQL}, false) AS proven
           FROM waiting_for w LEFT JOIN destinations d ON d.server_id = w.destination
           WHERE w.destination IS NOT NULL AND (d.state IS NULL OR d.state IN ('healthy', 'backing_off'))
         ), room AS (
           SELECT j.destination, j.proven,
             LEAST($2::integer, CASE WHEN j.proven THEN $6::integer ELSE LEAST($6::integer, $7::integer) END - (
               SELECT count(*)::integer FROM messages f
               WHERE f.destination = j.destination AND f.status = 'sending' AND f.claim_token IS NOT NULL
                 AND f.next_attempt_at > $1)) AS n
           FROM judged j
         ), due AS (
           SELECT p.id, p.next_attempt_at, r.proven,
             row_number() OVER (PARTITION BY r.destination ORDER BY p.next_attempt_at, p.id) AS turn
           FROM room r CROSS JOIN LATERAL (
             SELECT m.id, m.next_attempt_at FROM messages m
             WHERE m.destination = r.destination AND m.status IN ('queued', 'sending') AND m.next_attempt_at <= $1
             ORDER BY m.next_attempt_at, m.id
             LIMIT GREATEST(r.n, 0)
           ) p
         ), pick AS (
           SELECT ranked.id, ranked.proven FROM (
             SELECT due.*, row_number() OVER (PARTITION BY due.proven ORDER BY due.turn, due.next_attempt_at, due.id) AS k
             FROM due
           ) ranked
           WHERE ranked.proven OR ranked.k <= $8::integer
           ORDER BY ranked.turn, ranked.next_attempt_at, ranked.id
           LIMIT $2
         ), locked AS (
           SELECT m.id, m.attempts, pick.proven FROM messages m JOIN pick ON pick.id = m.id
           WHERE m.status IN ('queued', 'sending')
           FOR UPDATE OF m SKIP LOCKED
         )
         UPDATE messages m
         SET status = 'sending', attempts = LEAST(m.attempts + 1, $5::integer), next_attempt_at = $3, claim_token = $4
         FROM locked WHERE m.id = locked.id
         RETURNING ${columns}, m.destination, m.claim_token, locked.attempts >= $5::integer AS exhausted,
           false AS probe, m.trace_id, m.trace_parent, locked.proven`,
      [
        new Date(nowMs),
        limit,
        new Date(nowMs + leaseMs),
        token,
        maxAttempts,
        perDestination,
        unproven.cap,
        unproven.room,
      ],
    );
    // One round trip: BEGIN, the lock, the claim (its own statement, so its snapshot is taken
    // once the lock is held) and COMMIT go as one simple query on one connection.
    const runner = this.db.createQueryRunner();
    const client = (await runner.connect()) as {
      query(sql: string): Promise<{ rows: ClaimedPage[] }[]>;
    };
    try {
      const results = await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.delivery_claim')); ${claim}; COMMIT`,
      );
      return results[2].rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /**
   * The probe of an unreachable destination: the oldest page waiting for it (not in
   * flight), claimed like any attempt and marked `probe`. If the probe fails it is handed
   * back, so that the page spends no attempt while its destination is unreachable.
   */
  async claimProbe(
    destination: string,
    nowMs: number,
    leaseMs: number,
    maxAttempts: number,
  ): Promise<ClaimedPage | undefined> {
    const columns = MESSAGE_VIEW_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ');
    const rows = await this.update<ClaimedPage>(
      `WITH pick AS (
         SELECT id, attempts FROM messages
         WHERE destination = $1 AND status IN ('queued', 'sending') AND (claim_token IS NULL OR next_attempt_at <= $2)
         ORDER BY created_at, id LIMIT 1
         FOR UPDATE SKIP LOCKED
       )
       UPDATE messages m
       SET status = 'sending', attempts = LEAST(m.attempts + 1, $5::integer), next_attempt_at = $3, claim_token = $4
       FROM pick WHERE m.id = pick.id
       RETURNING ${columns}, m.destination, m.claim_token, pick.attempts >= $5::integer AS exhausted, true AS probe,
         m.trace_id, m.trace_parent, false AS proven`,
      [destination, new Date(nowMs), new Date(nowMs + leaseMs), randomUUID(), maxAttempts],
    );
    return rows[0];
  }

  /**
   * Ends the pages that will not be sent: those of a stopped destination
   * (`delivery_stopped`) and those that waited `holdMs` for an unreachable one
   * (`destination_unreachable`, counted from the later of the page's creation and the
   * breaker opening: destination-rules.ts `holdEndsMs`). Pages in flight are left to their
   * attempt. Answers the pages ended, with their final error.
   */
  async endUndeliverable(
    nowMs: number,
    holdMs: number,
    limit = 1000,
  ): Promise<(MessageRow & { destination: string; trace_id: string | null })[]> {
    const columns = MESSAGE_VIEW_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ');
    return this.update<MessageRow & { destination: string; trace_id: string | null }>(
      `WITH doomed AS (
         SELECT m.id, CASE WHEN d.state = 'stopped' THEN 'delivery_stopped' ELSE 'destination_unreachable' END AS error
         FROM messages m JOIN destinations d ON d.server_id = m.destination
         WHERE m.status IN ('queued', 'sending') AND (m.claim_token IS NULL OR m.next_attempt_at <= $1)
           AND (d.state = 'stopped' OR (d.state = 'unreachable' AND GREATEST(m.created_at, d.since) <= $2))
         LIMIT $3
         FOR UPDATE OF m SKIP LOCKED
       )
       UPDATE messages m
       SET status = 'failed', last_error = doomed.error, next_attempt_at = NULL, claim_token = NULL
       FROM doomed WHERE m.id = doomed.id
       RETURNING ${columns}, m.destination, m.trace_id`,
      [new Date(nowMs), new Date(nowMs - holdMs), limit],
    );
  }

  /** Pages of `destination` waiting for a retry become due now (operator retry: backoff reset). */
  async makeDueNow(destination: string, nowMs: number): Promise<number> {
    const rows = await this.update(
      `UPDATE messages SET next_attempt_at = $2
       WHERE destination = $1 AND status IN ('queued', 'sending') AND claim_token IS NULL AND next_attempt_at > $2
       RETURNING id`,
      [destination, new Date(nowMs)],
    );
    return rows.length;
  }

  /** Per destination: pages waiting (not in flight) and pages in flight (a live claim). */
  async pageCounts(nowMs: number, destination?: string): Promise<Map<string, PageCounts>> {
    const rows: { destination: string; waiting: number; in_flight: number; first: Date }[] =
      await this.db.query(
        `SELECT destination,
           count(*) FILTER (WHERE claim_token IS NULL OR next_attempt_at <= $1)::integer AS waiting,
           count(*) FILTER (WHERE claim_token IS NOT NULL AND next_attempt_at > $1)::integer AS in_flight,
           min(created_at) AS first
         FROM messages WHERE status IN ('queued', 'sending') AND destination IS NOT NULL
           AND ($2::text IS NULL OR destination = $2)
         GROUP BY destination`,
        [new Date(nowMs), destination ?? null],
      );
    return new Map(
      rows.map((r) => [
        r.destination,
        { waiting: r.waiting, inFlight: r.in_flight, firstPageMs: new Date(r.first).getTime() },
      ]),
    );
  }

  /**
   * Age in seconds of the oldest federated page still `queued` or `sending` (0 when none):
   * the `adapter_outbox_oldest_age_seconds` gauge, read at each scrape.
   */
  async oldestWaitingAgeSeconds(nowMs: number): Promise<number> {
    const rows: { oldest: Date | null }[] = await this.db.query(
      `SELECT min(created_at) AS oldest FROM messages
       WHERE status IN ('queued', 'sending') AND destination IS NOT NULL`,
    );
    const oldest = rows[0]?.oldest;
    return oldest ? Math.max(0, (nowMs - new Date(oldest).getTime()) / 1000) : 0;
  }

  /** Adds one attempt to the page's history (after it ended; batched). */
  recordAttempt(record: AttemptRecord): Promise<void> {
    return this.recording.submit(record);
  }

  private async insertAttempts(items: AttemptRecord[]): Promise<void[]> {
    await this.db.query(
      `INSERT INTO delivery_attempts (message_row_id, attempt, probe, started_at, duration_ms, http_status, error,
         outcome, message_digest)
       SELECT * FROM unnest($1::bigint[], $2::integer[], $3::boolean[], $4::timestamptz[], $5::integer[],
         $6::integer[], $7::text[], $8::text[], $9::text[])`,
      [
        items.map((i) => i.messageRowId),
        items.map((i) => i.attempt),
        items.map((i) => i.probe),
        items.map((i) => i.startedAt),
        items.map((i) => i.durationMs),
        items.map((i) => i.httpStatus),
        items.map((i) => i.error),
        items.map((i) => i.outcome),
        items.map((i) => i.digest),
      ],
    );
    return items.map(() => undefined);
  }

  /**
   * Whether the history of the page in row `messageRowId` holds a request that ended with
   * `outcome` (e.g. `key_mismatch_retried`: the page's one retry after key_mismatch is
   * spent, docs/protocol.md §14). Reads rows already written (`recordAttempt` resolved).
   */
  async hadAttemptOutcome(messageRowId: string, outcome: string): Promise<boolean> {
    const rows: { found: boolean }[] = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM delivery_attempts WHERE message_row_id = $1 AND outcome = $2) AS found`,
      [messageRowId, outcome],
    );
    return rows[0]?.found === true;
  }

  /** The attempt history of the page in row `messageRowId`, oldest first (at most 100). */
  async attemptsOf(messageRowId: string): Promise<AttemptView[]> {
    const rows: {
      attempt: number;
      probe: boolean;
      started_at: Date;
      duration_ms: number;
      http_status: number | null;
      error: string | null;
      outcome: string;
    }[] = await this.db.query(
      `SELECT attempt, probe, started_at, duration_ms, http_status, error, outcome FROM delivery_attempts
       WHERE message_row_id = $1 ORDER BY started_at, id LIMIT 100`,
      [messageRowId],
    );
    return rows.map((r) => ({ ...r, started_at: r.started_at.toISOString() }));
  }

  /**
   * Final status. A verified `delivered` ack wins even if our lease ran out meanwhile (the
   * receiver has the page); any other outcome needs the claim to be still ours.
   */
  async finish(
    page: ClaimedPage,
    status: 'delivered' | 'rejected' | 'failed',
    lastError: string | null,
    nowMs: number,
    signedPayload: string | null,
  ): Promise<boolean> {
    return (
      (await this.finishReturning(page, status, lastError, nowMs, signedPayload)) !== undefined
    );
  }

  /**
   * `finish`, answering with the page as it now reads (for the webhook), or undefined if not
   * applied. `attempt`, the attempt that ended the page, is added to its history by the same
   * statement (one commit), whether or not the final status is applied (as `recordAttempt`).
   */
  async finishReturning(
    page: ClaimedPage,
    status: 'delivered' | 'rejected' | 'failed',
    lastError: string | null,
    nowMs: number,
    signedPayload: string | null,
    attempt: AttemptRecord | null = null,
  ): Promise<MessageRow | undefined> {
    return this.finishing.submit({
      id: page.id,
      claimToken: page.claim_token,
      status,
      lastError,
      deliveredAt: status === 'delivered' ? new Date(nowMs) : null,
      signedPayload,
      attempt,
    });
  }

  private async finishAll(items: FinalStatus[]): Promise<(MessageRow | undefined)[]> {
    const columns = MESSAGE_VIEW_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ');
    const attempts = items.map((i) => i.attempt);
    const rows = await this.update<MessageRow>(
      `WITH v AS (
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
           $7::integer[], $8::boolean[], $9::timestamptz[], $10::integer[], $11::integer[], $12::text[], $13::text[],
           $14::text[])
           AS v(id, claim_token, status, last_error, delivered_at, signed_payload, attempt, probe, started_at,
             duration_ms, http_status, error, outcome, message_digest)
       ), history AS (
         INSERT INTO delivery_attempts (message_row_id, attempt, probe, started_at, duration_ms, http_status, error,
           outcome, message_digest)
         SELECT id, attempt, probe, started_at, duration_ms, http_status, error, outcome, message_digest
         FROM v WHERE v.attempt IS NOT NULL
       )
       UPDATE messages m
       SET status = v.status, last_error = v.last_error, delivered_at = v.delivered_at, next_attempt_at = NULL,
           claim_token = NULL, signed_payload = COALESCE(v.signed_payload, m.signed_payload)
       FROM v
       WHERE m.id = v.id AND m.status IN ('queued', 'sending') AND (m.claim_token = v.claim_token OR v.status = 'delivered')
       RETURNING ${columns}`,
      [
        items.map((i) => i.id),
        items.map((i) => i.claimToken),
        items.map((i) => i.status),
        items.map((i) => i.lastError),
        items.map((i) => i.deliveredAt),
        items.map((i) => i.signedPayload),
        attempts.map((a) => a?.attempt ?? null),
        attempts.map((a) => a?.probe ?? null),
        attempts.map((a) => a?.startedAt ?? null),
        attempts.map((a) => a?.durationMs ?? null),
        attempts.map((a) => a?.httpStatus ?? null),
        attempts.map((a) => a?.error ?? null),
        attempts.map((a) => a?.outcome ?? null),
        attempts.map((a) => a?.digest ?? null),
      ],
    );
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    return items.map((i) => byId.get(String(i.id)));
  }

  async scheduleRetry(
    page: ClaimedPage,
    atMs: number,
    lastError: string,
    signedPayload: string | null,
  ): Promise<boolean> {
    const rows = await this.update(
      `UPDATE messages
       SET next_attempt_at = $3, last_error = $4, claim_token = NULL, signed_payload = COALESCE($5, signed_payload)
       WHERE id = $1 AND claim_token = $2 AND status = 'sending'
       RETURNING id`,
      [page.id, page.claim_token, new Date(atMs), lastError, signedPayload],
    );
    return rows.length > 0;
  }

  /**
   * Keeps the digest of the attempt about to leave, before it leaves (PROTOCOL.md section 5:
   * an ack may name any attempt's digest, and the one that arrives first may be this one).
   * Answers every digest kept for the page, this one included, or undefined when the claim
   * is no longer ours (then nothing may be sent).
   */
  recordDigest(page: ClaimedPage, digest: string): Promise<string[] | undefined> {
    return this.keepingDigests.submit({ id: page.id, claimToken: page.claim_token, digest });
  }

  /** Digests of attempts that leave together are kept by one UPDATE (one round trip). */
  private readonly keepingDigests = new Batcher<
    { id: string; claimToken: string; digest: string },
    string[] | undefined
  >((items) => this.keepDigests(items), { maxBatch: 256, maxRunning: 2, keyOf: (i) => i.id });

  private async keepDigests(
    items: { id: string; claimToken: string; digest: string }[],
  ): Promise<(string[] | undefined)[]> {
    const rows = await this.update<{ id: string; attempt_digests: string[] }>(
      `UPDATE messages m SET attempt_digests = array_append(m.attempt_digests, v.digest)
       FROM unnest($1::bigint[], $2::uuid[], $3::text[]) AS v(id, claim_token, digest)
       WHERE m.id = v.id AND m.claim_token = v.claim_token AND m.status = 'sending'
       RETURNING m.id, m.attempt_digests`,
      [items.map((i) => i.id), items.map((i) => i.claimToken), items.map((i) => i.digest)],
    );
    const byId = new Map(rows.map((row) => [String(row.id), row.attempt_digests]));
    return items.map((i) => byId.get(String(i.id)));
  }

  /** Gives the claim back without counting it (daemon unreachable, or shutting down). */
  async handBack(page: ClaimedPage, atMs: number, lastError: string | null): Promise<boolean> {
    const rows = await this.update(
      `UPDATE messages
       SET attempts = attempts - 1,
           status = CASE WHEN attempts - 1 = 0 THEN 'queued' ELSE 'sending' END,
           next_attempt_at = $3, last_error = COALESCE($4, last_error), claim_token = NULL
       WHERE id = $1 AND claim_token = $2 AND status = 'sending'
       RETURNING id`,
      [page.id, page.claim_token, new Date(atMs), lastError],
    );
    return rows.length > 0;
  }

  // TypeORM answers an UPDATE with [rows, rowCount] rather than the rows.
  private async update<T = unknown>(sql: string, params: unknown[]): Promise<T[]> {
    const [rows] = (await this.db.query(sql, params)) as [T[], number];
    return rows;
  }

  async current(id: string): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  // --- Receiving: inbound receipts and inbox copies ---

  async findReceipt(senderServer: string, messageId: string): Promise<StoredReceipt | undefined> {
    const rows: {
      status: 'delivered' | 'rejected';
      reason: string | null;
      message_digest: string;
    }[] = await this.db.query(
      'SELECT status, reason, message_digest FROM inbound_receipts WHERE sender_server = $1 AND message_id = $2',
      [senderServer, messageId],
    );
    const row = rows[0];
    return row
      ? { status: row.status, reason: row.reason, digest: row.message_digest, created: false }
      : undefined;
  }

  /**
   * Receipts arriving together are stored by one statement (one implicit transaction, one
   * commit, no BEGIN/COMMIT round trips); a message is never twice in one batch.
   */
  private readonly receiving = new Batcher<PendingReceipt, RecordResult>(
    (items) => this.recordReceipts(items),
    {
      maxBatch: 256,
      maxRunning: 2,
      keyOf: (item) => receiptKey(item.decision.senderServer, item.decision.messageId),
    },
  );

  /**
   * The receipt is inserted with ON CONFLICT DO NOTHING and, only if that inserted it, the
   * inbox row, in the same statement: when this returns, both are committed (or neither
   * exists and the first answer is read back).
   */
  async recordOnce(
    decision: ReceiptDecision,
    entry: InboxEntry | null,
    nowMs = Date.now(),
  ): Promise<StoredReceipt> {
    const inbox = decision.status === 'delivered' && entry !== null ? entry : null;
    const result = await this.receiving.submit({ decision, inbox, receivedAt: new Date(nowMs) });
    if (result.created) {
      const stored: StoredReceipt = {
        status: decision.status,
        reason: decision.reason,
        digest: decision.digest,
        created: true,
      };
      if (result.inboxRow) stored.inboxRow = result.inboxRow;
      return stored;
    }
    // Lost the race: the winner has committed (the insert waited for it), so its answer is visible now.
    const existing = await this.findReceipt(decision.senderServer, decision.messageId);
    if (!existing) throw new Error('inbound receipt vanished after a conflict');
    return existing;
  }

  private async recordReceipts(items: PendingReceipt[]): Promise<RecordResult[]> {
    // One order for every batch, so that two replicas' batches take the receipts' keys in the same order.
    const sorted = [...items].sort((x, y) => compareKeys(x, y));
    const inboxColumns = MESSAGE_VIEW_COLUMNS.split(', ')
      .map((c) => `inbox.${c}`)
      .join(', ');
    const rows: (Partial<MessageRow> & {
      key_sender: string;
      key_message_id: string;
      created: boolean;
    })[] = await this.db.query(
      `WITH v AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
             $7::boolean[], $8::text[], $9::text[], $10::text[], $11::text[], $12::smallint[], $13::text[], $14::text[])
             AS v(sender_server, message_id, digest, status, reason, received_at,
               with_inbox, recipient_user_id, from_address, to_address, content_json, priority, trace_id, trace_parent)
         ), receipt AS (
           INSERT INTO inbound_receipts (sender_server, message_id, message_digest, status, reason, received_at)
           SELECT sender_server, message_id, digest, status, reason, received_at FROM v
           ON CONFLICT DO NOTHING RETURNING sender_server, message_id
         ), inbox AS (
           INSERT INTO messages (message_id, origin_server, recipient_user_id, from_address, to_address, content_json,
             priority, status, created_at, delivered_at, trace_id, trace_parent)
           SELECT v.message_id, v.sender_server, v.recipient_user_id, v.from_address, v.to_address, v.content_json,
             v.priority, 'delivered', v.received_at, v.received_at, v.trace_id, v.trace_parent
           FROM v JOIN receipt r ON r.sender_server = v.sender_server AND r.message_id = v.message_id
           WHERE v.with_inbox
           RETURNING origin_server, ${MESSAGE_VIEW_COLUMNS}
         )
         SELECT v.sender_server AS key_sender, v.message_id AS key_message_id, r.message_id IS NOT NULL AS created,
           ${inboxColumns}
         FROM v
         LEFT JOIN receipt r ON r.sender_server = v.sender_server AND r.message_id = v.message_id
         LEFT JOIN inbox ON inbox.origin_server = v.sender_server AND inbox.message_id = v.message_id`,
      [
        sorted.map((i) => i.decision.senderServer),
        sorted.map((i) => i.decision.messageId),
        sorted.map((i) => i.decision.digest),
        sorted.map((i) => i.decision.status),
        sorted.map((i) => i.decision.reason),
        sorted.map((i) => i.receivedAt),
        sorted.map((i) => i.inbox !== null),
        sorted.map((i) => i.inbox?.recipientUserId ?? null),
        sorted.map((i) => i.inbox?.from ?? null),
        sorted.map((i) => i.inbox?.to ?? null),
        sorted.map((i) => (i.inbox === null ? null : encodeContent(i.inbox.content))),
        sorted.map((i) => i.inbox?.priority ?? null),
        sorted.map((i) => i.inbox?.traceId ?? null),
        sorted.map((i) => i.inbox?.traceParent ?? null),
      ],
    );
    const byKey = new Map<string, RecordResult>();
    for (const { key_sender, key_message_id, created, ...inboxRow } of rows) {
      const hasRow = inboxRow.id !== null && inboxRow.id !== undefined;
      byKey.set(receiptKey(key_sender, key_message_id), {
        created,
        inboxRow: hasRow ? (inboxRow as MessageRow) : undefined,
      });
    }
    return items.map((i) => {
      const result = byKey.get(receiptKey(i.decision.senderServer, i.decision.messageId));
      if (!result) throw new Error('inbound receipt batch lost an item');
      return result;
    });
  }
}
