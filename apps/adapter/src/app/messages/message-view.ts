import type { BoxMessage, MessageStateAnswer, MessageStatus } from '@pager/internal-api';
import { decodeContent } from '../common/stored-content';

/** Where a page stands: docs/api.md, "Page states" (the internal API client's type). */
export type { MessageStatus };

/** The columns every message view reads (`MESSAGE_VIEW_COLUMNS`). */
export interface MessageRow {
  id: string;
  message_id: string;
  from_address: string;
  to_address: string;
  content_json: string;
  priority: number;
  status: MessageStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export const MESSAGE_VIEW_COLUMNS =
  'id, message_id, from_address, to_address, content_json, priority, status, attempts, last_error, created_at, delivered_at';

/**
 * A page as the inbox, the outbox and `POST /api/v1/messages` show it: the very type the
 * internal API client reads (`BoxMessage` of @pager/internal-api), so both sides agree.
 */
export type MessageView = BoxMessage;

/** `GET /api/v1/messages/{message_id}` without its attempt history (`MessageStateAnswer`). */
export type DeliveryStateView = Omit<MessageStateAnswer, 'attempt_history'>;

export function toMessageView(row: MessageRow): MessageView {
  return {
    message_id: row.message_id,
    from: row.from_address,
    to: row.to_address,
    content: decodeContent(row.content_json),
    priority: row.priority,
    status: row.status,
    created_at: row.created_at.toISOString(),
    delivered_at: row.delivered_at ? row.delivered_at.toISOString() : null,
  };
}

export function toDeliveryStateView(row: MessageRow): DeliveryStateView {
  return {
    message_id: row.message_id,
    status: row.status,
    attempts: row.attempts,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    delivered_at: row.delivered_at ? row.delivered_at.toISOString() : null,
  };
}
