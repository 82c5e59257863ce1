import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
  reason: string | null;
  /** false when (sender server, message_id) had been received before: nothing was added. */
  created: boolean;
  /** The inbox row written now, if any. */
  inboxRow?: MessageRow;
}

/**
 * (sender server, message_id) is delivered at most once: the receipt is inserted with
 * ON CONFLICT DO NOTHING in the same transaction as the inbox row, so concurrent repeats
 * (other replicas included) wait for the first and then read back its answer.
 */
@Injectable()
export class InboundReceipts {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async find(senderServer: string, messageId: string): Promise<StoredReceipt | undefined> {
    const rows: { status: 'delivered' | 'rejected'; reason: string | null }[] = await this.db.query(
      'SELECT status, reason FROM inbound_receipts WHERE sender_server = $1 AND message_id = $2',
      [senderServer, messageId],
    );
    return rows[0] ? { status: rows[0].status, reason: rows[0].reason, created: false } : undefined;
  }

  async recordOnce(decision: ReceiptDecision, entry: InboxEntry | null, nowMs = Date.now()): Promise<StoredReceipt> {
    const now = new Date(nowMs);
    const stored = await this.db.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO inbound_receipts (sender_server, message_id, message_digest, status, reason, received_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING message_id`,
        [decision.senderServer, decision.messageId, decision.digest, decision.status, decision.reason, now],
      );
      if (inserted.length === 0) return undefined;
      if (decision.status !== 'delivered' || entry === null) {
        return { status: decision.status, reason: decision.reason, created: true } as StoredReceipt;
      }
      const rows: MessageRow[] = await manager.query(
        `INSERT INTO messages (message_id, origin_server, recipient_user_id, from_address, to_address, content_json,
           priority, status, created_at, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'delivered', $8, $8)
         RETURNING ${MESSAGE_VIEW_COLUMNS}`,
        [decision.messageId, decision.senderServer, entry.recipientUserId, entry.from, entry.to, encodeContent(entry.content), entry.priority, now],
      );
      return { status: decision.status, reason: decision.reason, created: true, inboxRow: rows[0] } as StoredReceipt;
    });
    if (stored) return stored;
    // Lost the race: the winner has committed (the insert waited for it), so its answer is visible now.
    const existing = await this.find(decision.senderServer, decision.messageId);
    if (!existing) throw new Error('inbound receipt vanished after a conflict');
    return existing;
  }
}
