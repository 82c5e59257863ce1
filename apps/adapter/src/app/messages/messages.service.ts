import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_CONTENT_CODE_POINTS,
  MESSAGE_ID_RE,
  ProtocolError,
  newMessageId,
  parseProtocolTimestamp,
} from '@pager/protocol';
import { JsonLogger } from '@pager/server-kit';
import { DataSource } from 'typeorm';
import { AdapterMetrics } from '../common/adapter-metrics';
import { Batcher } from '../common/batcher';
import { codePointLength, invalid, requireBody } from '../common/input-rules';
import { encodeContent } from '../common/stored-content';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { ContactsService } from '../contacts/contacts.service';
import { AttemptView, DeliveryOutbox } from '../delivery/delivery-outbox';
import { DeliveryScheduler } from '../delivery/delivery.scheduler';
import { refusalReason } from '../users/recipient-acceptance';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import {
  DeliveryStateView,
  MESSAGE_VIEW_COLUMNS,
  MessageRow,
  MessageView,
  toDeliveryStateView,
  toMessageView,
} from './message-view';
import { resolveRecipient } from './recipient-resolution';

export interface SendResult {
  status: 201 | 202;
  body: {
    message_id: string;
    status: 'delivered' | 'queued';
    from: string;
    to: string;
    created_at: string;
  };
}

interface QueuedPage {
  messageId: string;
  senderUserId: string;
  from: string;
  to: string;
  contentJson: string;
  priority: number;
  destination: string;
  createdAt: Date;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/** Sending pages (local at once, federated through the outbox) and reading the boxes. */
@Injectable()
export class MessagesService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(ContactsService) private readonly contacts: ContactsService,
    @Inject(DeliveryScheduler) private readonly scheduler: DeliveryScheduler,
    @Inject(DeliveryOutbox) private readonly outbox: DeliveryOutbox,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
  ) {}

  /**
   * Federated pages accepted at the same time are queued by one multi-row INSERT (one
   * statement, one commit); each request still answers 202 only once its row is committed.
   */
  private readonly queueing = new Batcher<QueuedPage, void>((pages) => this.insertQueued(pages), {
    maxBatch: 256,
    maxRunning: 2,
  });

  async send(body: unknown): Promise<SendResult> {
    const b = requireBody(body);
    if (typeof b.sender_user_id !== 'string') throw invalid('sender_user_id: must be a string');
    if (typeof b.to !== 'string' || b.to.length > 1000)
      throw invalid('to: must be a string of at most 1000 characters');
    const content = b.content;
    if (typeof content !== 'string' || content.length > 2 * MAX_CONTENT_CODE_POINTS) {
      throw invalid(`content: must be 1 to ${MAX_CONTENT_CODE_POINTS} characters`);
    }
    const length = codePointLength(content);
    if (length < 1 || length > MAX_CONTENT_CODE_POINTS) {
      throw invalid(`content: must be 1 to ${MAX_CONTENT_CODE_POINTS} characters`);
    }
    const priority = b.priority ?? 1;
    if (priority !== 0 && priority !== 1 && priority !== 2)
      throw invalid('priority: must be 0, 1 or 2');

    const { user: sender, refs } = await this.contacts.userWithRefs(b.sender_user_id);
    const from = this.users.addressOf(sender.username);
    const target = resolveRecipient(b.to, refs, this.config.serverId);
    if (target.kind === 'invalid')
      throw new ProtocolError(
        'invalid_address',
        'to is neither a contact name nor a valid address',
      );
    const messageId = newMessageId();
    const createdAt = new Date();

    if (target.kind === 'local') {
      const rows = await this.db.transaction(async (manager) => {
        const recipient = await this.users.findByUsername(target.username, manager, true);
        if (!recipient) throw new ProtocolError('unknown_recipient', `no user ${target.address}`);
        if (refusalReason(await this.users.recipientRules(recipient, manager), from) !== null) {
          throw new ProtocolError('blocked', 'recipient does not accept pages from you');
        }
        return (await manager.query(
          `INSERT INTO messages (message_id, origin_server, sender_user_id, recipient_user_id, from_address, to_address,
             content_json, priority, status, created_at, delivered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'delivered', $9, $9)
           RETURNING ${MESSAGE_VIEW_COLUMNS}`,
          [
            messageId,
            this.config.serverId,
            sender.user_id,
            recipient.user_id,
            from,
            target.address,
            encodeContent(content),
            priority,
            createdAt,
          ],
        )) as MessageRow[];
      });
      this.metrics.localMessages.inc();
      this.logger.event('pager.local_delivered', {
        message_id: messageId,
        from,
        to: target.address,
      });
      const view = toMessageView(rows[0]);
      await this.webhooks.emit('message.received', view);
      await this.webhooks.emit('message.delivered', view);
      return {
        status: 201,
        body: {
          message_id: messageId,
          status: 'delivered',
          from,
          to: target.address,
          created_at: view.created_at,
        },
      };
    }

    await this.queueing.submit({
      messageId,
      senderUserId: sender.user_id,
      from,
      to: target.address,
      contentJson: encodeContent(content),
      priority,
      destination: target.domain,
      createdAt,
    });
    this.logger.event('federation.message_queued', {
      message_id: messageId,
      from,
      to: target.address,
      destination: target.domain,
    });
    this.scheduler.nudge();
    return {
      status: 202,
      body: {
        message_id: messageId,
        status: 'queued',
        from,
        to: target.address,
        created_at: createdAt.toISOString(),
      },
    };
  }

  private async insertQueued(pages: QueuedPage[]): Promise<void[]> {
    await this.db.query(
      `INSERT INTO messages (message_id, origin_server, sender_user_id, from_address, to_address, content_json, priority,
         status, destination, attempts, next_attempt_at, created_at)
       SELECT v.message_id, $1, v.sender_user_id, v.from_address, v.to_address, v.content_json, v.priority,
         'queued', v.destination, 0, v.created_at, v.created_at
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[], $9::timestamptz[])
         AS v(message_id, sender_user_id, from_address, to_address, content_json, priority, destination, created_at)`,
      [
        this.config.serverId,
        pages.map((p) => p.messageId),
        pages.map((p) => p.senderUserId),
        pages.map((p) => p.from),
        pages.map((p) => p.to),
        pages.map((p) => p.contentJson),
        pages.map((p) => p.priority),
        pages.map((p) => p.destination),
        pages.map((p) => p.createdAt),
      ],
    );
    return pages.map(() => undefined);
  }

  /**
   * Delivery state of a page sent from this server (or, failing that, one received here):
   * SERVICES.md's fields (`attempts` is the count of attempts spent), plus
   * `attempt_history`, the requests that left, oldest first (`attempt`, `probe`,
   * `started_at`, `duration_ms`, `http_status` or null, `error` (network error, error code)
   * or null, `outcome`).
   */
  async state(messageId: string): Promise<DeliveryStateView & { attempt_history: AttemptView[] }> {
    if (!MESSAGE_ID_RE.test(messageId)) throw new ProtocolError('not_found', 'no such message');
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages WHERE message_id = $1
       ORDER BY (origin_server = $2) DESC, id LIMIT 1`,
      [messageId, this.config.serverId],
    );
    if (rows.length === 0) throw new ProtocolError('not_found', 'no such message');
    return {
      ...toDeliveryStateView(rows[0]),
      attempt_history: await this.outbox.attemptsOf(rows[0].id),
    };
  }

  /**
   * A box, newest first. `before` is a cursor: the message_id of the last page already seen
   * (pages strictly older than it follow), or an RFC 3339 timestamp (pages created before it).
   */
  async box(userId: string, query: Record<string, unknown>): Promise<{ messages: MessageView[] }> {
    await this.users.requireUser(userId);
    const box = query.box ?? 'inbox';
    if (box !== 'inbox' && box !== 'sent') throw invalid('box: must be inbox or sent');
    const column = box === 'inbox' ? 'recipient_user_id' : 'sender_user_id';
    let limit = DEFAULT_LIMIT;
    if (query.limit !== undefined) {
      if (typeof query.limit !== 'string' || !/^\d{1,3}$/.test(query.limit))
        throw invalid(`limit: must be 1 to ${MAX_LIMIT}`);
      limit = Number(query.limit);
      if (limit < 1 || limit > MAX_LIMIT) throw invalid(`limit: must be 1 to ${MAX_LIMIT}`);
    }
    const params: unknown[] = [userId, limit];
    let cursor = '';
    if (query.before !== undefined) {
      const before = query.before;
      if (typeof before === 'string' && MESSAGE_ID_RE.test(before)) {
        const anchor: { created_at: Date; id: string }[] = await this.db.query(
          `SELECT created_at, id FROM messages WHERE ${column} = $1 AND message_id = $2 ORDER BY id LIMIT 1`,
          [userId, before],
        );
        if (anchor.length === 0) throw invalid('before: no such message in this box');
        params.push(anchor[0].created_at, anchor[0].id);
        cursor = 'AND (created_at, id) < ($3, $4)';
      } else if (typeof before === 'string' && parseProtocolTimestamp(before) !== null) {
        params.push(new Date(parseProtocolTimestamp(before) as number));
        cursor = 'AND created_at < $3';
      } else {
        throw invalid('before: must be a message_id or an RFC 3339 timestamp');
      }
    }
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages WHERE ${column} = $1 ${cursor}
       ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    return { messages: rows.map(toMessageView) };
  }
}
