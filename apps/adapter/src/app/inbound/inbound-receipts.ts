import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Batcher } from '../common/batcher';
import { encodeContent } from '../common/stored-content';
import { MESSAGE_VIEW_COLUMNS, MessageRow } from '../messages/message-view';

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

function receiptKey(senderServer: string, messageId: string): string {
  return `${senderServer}\u0000${messageId}`;
}

function compareKeys(x: PendingReceipt, y: PendingReceipt): number {
  const a = receiptKey(x.decision.senderServer, x.decision.messageId);
  const b = receiptKey(y.decision.senderServer, y.decision.messageId);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * (sender server, message_id) is delivered at most once: the receipt is inserted with
 * ON CONFLICT DO NOTHING in the same statement (so the same transaction) as the inbox row, so concurrent repeats
 * (other replicas included) wait for the first and then read back its answer.
 */
@Injectable()
export class InboundReceipts {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async find(senderServer: string, messageId: string): Promise<StoredReceipt | undefined> {
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
  private readonly recording = new Batcher<PendingReceipt, RecordResult>(
    (items) => this.recordAll(items),
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
    const result = await this.recording.submit({ decision, inbox, receivedAt: new Date(nowMs) });
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
    const existing = await this.find(decision.senderServer, decision.messageId);
    if (!existing) throw new Error('inbound receipt vanished after a conflict');
    return existing;
  }

  private async recordAll(items: PendingReceipt[]): Promise<RecordResult[]> {
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
             $7::boolean[], $8::text[], $9::text[], $10::text[], $11::text[], $12::smallint[])
             AS v(sender_server, message_id, digest, status, reason, received_at,
               with_inbox, recipient_user_id, from_address, to_address, content_json, priority)
         ), receipt AS (
           INSERT INTO inbound_receipts (sender_server, message_id, message_digest, status, reason, received_at)
           SELECT sender_server, message_id, digest, status, reason, received_at FROM v
           ON CONFLICT DO NOTHING RETURNING sender_server, message_id
         ), inbox AS (
           INSERT INTO messages (message_id, origin_server, recipient_user_id, from_address, to_address, content_json,
             priority, status, created_at, delivered_at)
           SELECT v.message_id, v.sender_server, v.recipient_user_id, v.from_address, v.to_address, v.content_json,
             v.priority, 'delivered', v.received_at, v.received_at
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
