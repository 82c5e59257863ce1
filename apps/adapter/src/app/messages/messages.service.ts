import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_CONTENT_CODE_POINTS,
  MESSAGE_ID_RE,
  ProtocolError,
  newMessageId,
  parseProtocolTimestamp,
} from '@pager/protocol';
import { JsonLogger, TraceContext, traceFields, traceFromHeaders } from '@pager/server-kit';
import { DataSource } from 'typeorm';
import { AdapterMetrics } from '../common/adapter-metrics';
import { codePointLength, invalid, requireBody } from '../common/input-rules';
import { encodeContent } from '../common/stored-content';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { ContactsService } from '../contacts/contacts.service';
import { DeliveryScheduler } from '../delivery/delivery.scheduler';
import { DeliveryService } from '../delivery/delivery.service';
import { refusalReason } from '../users/recipient-acceptance';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { DeliveryStateView, MessageView, toDeliveryStateView, toMessageView } from './message-view';
import { AttemptView, MessageStore } from './message.store';
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
  /** The page's creation span (a child of the caller's `traceparent`, or a new trace). */
  trace: TraceContext;
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
    @Inject(DeliveryService) private readonly delivery: DeliveryService,
    @Inject(MessageStore) private readonly store: MessageStore,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
  ) {}

  /**
   * `traceparent`: the caller's W3C trace context header, continued if valid, else a new
   * trace starts (never an error); its id is stored with the page and sent with every
   * attempt (docs/operations.md, "Following a page across servers").
   */
  async send(body: unknown, traceparent?: string | string[]): Promise<SendResult> {
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
    const trace = traceFromHeaders({ traceparent }).context;

    if (target.kind === 'local') {
      const row = await this.db.transaction(async (manager) => {
        const recipient = await this.users.findByUsername(target.username, manager, true);
        if (!recipient) throw new ProtocolError('unknown_recipient', `no user ${target.address}`);
        if (refusalReason(await this.users.recipientRules(recipient, manager), from) !== null) {
          throw new ProtocolError('blocked', 'recipient does not accept pages from you');
        }
        return this.store.insertLocal(manager, {
          messageId,
          originServer: this.config.serverId,
          senderUserId: sender.user_id,
          recipientUserId: recipient.user_id,
          from,
          to: target.address,
          contentJson: encodeContent(content),
          priority,
          createdAt,
          traceId: trace.traceId,
          traceParent: trace.spanId,
        });
      });
      this.metrics.localMessages.inc();
      this.logger.event('pager.local_delivered', {
        message_id: messageId,
        from,
        to: target.address,
        ...traceFields(trace),
      });
      const view = toMessageView(row);
      await this.webhooks.emit('message.received', view, traceFields(trace));
      await this.webhooks.emit('message.delivered', view, traceFields(trace));
      return {
        trace,
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

    // Claimed and sent at once by this replica when the destination may take it now, else queued.
    const queued = await this.delivery.queue({
      messageId,
      originServer: this.config.serverId,
      senderUserId: sender.user_id,
      from,
      to: target.address,
      contentJson: encodeContent(content),
      priority,
      destination: target.domain,
      createdAt,
      traceId: trace.traceId,
      traceParent: trace.spanId,
    });
    this.logger.event('federation.message_queued', {
      message_id: messageId,
      from,
      to: target.address,
      destination: target.domain,
      ...traceFields(trace),
    });
    if (queued === 'queued') this.scheduler.nudge();
    return {
      trace,
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

  /**
   * Delivery state of a page sent from this server (or, failing that, one received here):
   * SERVICES.md's fields (`attempts` is the count of attempts spent), plus
   * `attempt_history`, the requests that left, oldest first (`attempt`, `probe`,
   * `started_at`, `duration_ms`, `http_status` or null, `error` (network error, error code)
   * or null, `outcome`).
   */
  async state(messageId: string): Promise<DeliveryStateView & { attempt_history: AttemptView[] }> {
    if (!MESSAGE_ID_RE.test(messageId)) throw new ProtocolError('not_found', 'no such message');
    const row = await this.store.stateOf(messageId, this.config.serverId);
    if (!row) throw new ProtocolError('not_found', 'no such message');
    return {
      ...toDeliveryStateView(row),
      attempt_history: await this.store.attemptsOf(row.id),
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
    let limit = DEFAULT_LIMIT;
    if (query.limit !== undefined) {
      if (typeof query.limit !== 'string' || !/^\d{1,3}$/.test(query.limit))
        throw invalid(`limit: must be 1 to ${MAX_LIMIT}`);
      limit = Number(query.limit);
      if (limit < 1 || limit > MAX_LIMIT) throw invalid(`limit: must be 1 to ${MAX_LIMIT}`);
    }
    let cursor: { created_at: Date; id: string } | Date | undefined;
    if (query.before !== undefined) {
      const before = query.before;
      if (typeof before === 'string' && MESSAGE_ID_RE.test(before)) {
        cursor = await this.store.boxAnchor(box, userId, before);
        if (cursor === undefined) throw invalid('before: no such message in this box');
      } else if (typeof before === 'string' && parseProtocolTimestamp(before) !== null) {
        cursor = new Date(parseProtocolTimestamp(before) as number);
      } else {
        throw invalid('before: must be a message_id or an RFC 3339 timestamp');
      }
    }
    const rows = await this.store.readBox(box, userId, limit, cursor);
    return { messages: rows.map(toMessageView) };
  }
}
