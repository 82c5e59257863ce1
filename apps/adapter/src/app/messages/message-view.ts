import { decodeContent } from '../common/stored-content';

/** Where a page stands: docs/api.md, "Page states". */
export type MessageStatus = 'queued' | 'sending' | 'delivered' | 'rejected' | 'failed';

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

export interface MessageView {
  message_id: string;
  from: string;
  to: string;
  content: string;
  priority: number;
  status: MessageStatus;
  created_at: string;
  delivered_at: string | null;
}

export interface DeliveryStateView {
  message_id: string;
  status: MessageStatus;
  attempts: number;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

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
