import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import {
  Ack,
  MESSAGE_TYPE_PAGER,
  assertSupportedVersion,
  MessageDto,
  PROTOCOL_VERSION,
  ProtocolError,
  RejectReason,
  formatProtocolTimestamp,
  isSupportedVersion,
  isWithinSkew,
  parseAddress,
  validateWire,
  verifiedDigest,
} from '@pager/protocol';
import {
  JsonLogger,
  RateLimitStore,
  ServerKey,
  StateChangeLog,
  TraceContext,
  formatTraceparent,
  newTraceContext,
  traceFields,
} from '@pager/server-kit';
import { AdapterMetrics } from '../common/adapter-metrics';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import {
  DaemonUnavailableError,
  DiscoveryClientService,
} from '../discovery-client/discovery-client.service';
import { DeliveryScheduler } from '../delivery/delivery.scheduler';
import { senderKeyFor } from '../discovery-client/key-rotation-rules';
import { DestinationStore } from '../delivery/destination.store';
import { toMessageView } from '../messages/message-view';
import { refusalReason } from '../users/recipient-acceptance';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { InboxEntry, MessageStore, StoredReceipt } from '../messages/message.store';

/**
 * `POST {federation}/messages`: the checks of PROTOCOL.md section 5 in their order (size and
 * JSON are done by the HTTP layer), then store durably, then the signed ack.
 */
@Injectable()
export class InboundService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /**
   * While our daemon cannot be asked, every inbound page is refused `503` (the senders
   * retry): logged once per change of state plus a minute summary with the count
   * (`federation.inbound_daemon_unreachable` / `_still_unreachable` / `_reachable`), not
   * one `federation.message_refused` per page.
   */
  private readonly daemonRefusals: StateChangeLog;

  constructor(
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
    @Inject(DiscoveryClientService) private readonly discovery: DiscoveryClientService,
    @Inject(RateLimitStore) private readonly rateLimits: RateLimitStore,
    @Inject(MessageStore) private readonly receipts: MessageStore,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(ServerKey) private readonly serverKey: ServerKey,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(DestinationStore) private readonly destinations: DestinationStore,
    @Inject(DeliveryScheduler) private readonly scheduler: DeliveryScheduler,
  ) {
    this.daemonRefusals = new StateChangeLog({
      failedEvent: 'federation.inbound_daemon_unreachable',
      summaryEvent: 'federation.inbound_daemon_still_unreachable',
      recoveredEvent: 'federation.inbound_daemon_reachable',
      sink: (name, fields, level) => logger.event(name, fields, level),
    });
  }

  onApplicationBootstrap(): void {
    this.daemonRefusals.start();
  }

  beforeApplicationShutdown(): void {
    this.daemonRefusals.stop();
  }

  /**
   * `clientAddress`: the connection's peer, charged for resolving an unknown sender.
   * `trace`: this request's span (continuing the sender's `traceparent` or new), logged
   * with every line about the page and stored with it; it decides nothing.
   */
  async receive(
    body: unknown,
    clientAddress?: string,
    trace: TraceContext = newTraceContext(),
  ): Promise<Ack> {
    try {
      return await this.check(body, clientAddress, trace);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.metrics.inboundMessages.inc({ result: err.code });
        if (err.code === 'service_unavailable')
          this.daemonRefusals.fail('daemon', { error: err.message, ...traceFields(trace) });
        else
          this.logger.event(
            'federation.message_refused',
            { error: err.code, message: err.message, ...traceFields(trace) },
            'warn',
          );
      }
      throw err;
    }
  }

  private async check(
    body: unknown,
    clientAddress: string | undefined,
    trace: TraceContext,
  ): Promise<Ack> {
    assertSupportedVersion(body); // before the schema: a future major gets unsupported_version
    // Schema (address syntax of from/to included: without a valid sender domain no later check can run).
    const wire = validateWire(MessageDto, body);
    if (!wire.ok) throw new ProtocolError('validation_failed', wire.errors.join('; '));
    const message = wire.value;
    const from = parseAddress(message.from);
    const to = parseAddress(message.to);
    if (from === null)
      throw new ProtocolError('validation_failed', 'from: must be an address user@server');
    if (to === null)
      throw new ProtocolError('validation_failed', 'to: must be an address user@server');
    if (!isSupportedVersion(message.version)) {
      throw new ProtocolError(
        'unsupported_version',
        `version ${message.version} is not supported (1.x is)`,
      );
    }
    if (message.message_type !== MESSAGE_TYPE_PAGER) {
      throw new ProtocolError(
        'unsupported_message_type',
        `message_type must be "${MESSAGE_TYPE_PAGER}"`,
      );
    }
    const sender = from.serverId;
    if (await this.daemonSays(() => this.discovery.isBlocked(sender))) {
      throw new ProtocolError('blocked', 'the sending server is blocked');
    }
    const lookup = await this.discovery.resolveSender(
      sender,
      clientAddress,
      formatTraceparent(trace),
    );
    if (lookup.kind === 'busy') {
      throw new ProtocolError(
        'rate_limited',
        'too many unknown senders to resolve, retry later',
        lookup.retryAfterSeconds,
      );
    }
    if (lookup.kind === 'unavailable')
      throw new ProtocolError('service_unavailable', 'discovery is unavailable, retry later');
    this.daemonRefusals.recover('daemon');
    if (lookup.kind === 'blocked')
      throw new ProtocolError('blocked', 'the sending server is blocked');
    if (lookup.kind === 'not_found')
      throw new ProtocolError('unknown_server', `no key known for ${sender}`);
    const route = lookup.route;
    const nowMs = Date.now();
    // The pinned key. The one a rotation just moved the pin away from only if the operator
    // opted into KEY_ROTATION_GRACE_MS (off by default: the protocol answers key_mismatch, §6).
    let senderKey = senderKeyFor(
      route,
      message.sender_fingerprint,
      nowMs,
      this.config.keyRotationGraceMs,
    );
    if (senderKey === null) {
      // The sender may have rotated its key before its new announcement reached us: the
      // daemon fetches it (once a minute at most) and moves the pin if a valid
      // rotation_signature by the pinned key says so (docs/protocol.md §2).
      const refreshed = await this.discovery.refreshSender(sender);
      if (refreshed === null || message.sender_fingerprint !== refreshed.fingerprint) {
        throw new ProtocolError(
          'key_mismatch',
          `sender_fingerprint is not the key pinned for ${sender}`,
        );
      }
      senderKey = { key: refreshed.publicKey, which: 'pinned' };
    }
    // Over the parsed body as received: members unknown to MessageDto count too. The same
    // canonical form gives the digest the ack names.
    const digest = verifiedDigest(body as object, senderKey.key);
    if (digest === null) {
      throw new ProtocolError('signature_invalid', 'signature does not verify with the pinned key');
    }
    if (senderKey.which === 'previous') {
      this.logger.event('federation.previous_key_accepted', {
        server_id: sender,
        message_id: message.message_id,
        fingerprint: message.sender_fingerprint,
      });
    }
    // The recipient is read while the rate limit is decided (a read, nothing stored; not
    // for a page addressed elsewhere): one round trip's wait fewer before the receipt. The
    // checks still apply in their order.
    const recipientLookup =
      to.serverId === this.config.serverId ? this.recipientOf(to.user) : Promise.resolve(undefined);
    recipientLookup.catch(() => undefined); // awaited below; a rejection is not left unhandled
    const limit = await this.rateLimits.consume(
      `messages:${sender}`,
      this.config.rateLimitMessagesPerHour,
    );
    if (!limit.allowed) {
      if (limit.violation)
        this.discovery.reportRateLimitViolation(sender, 'messages per hour exceeded');
      throw new ProtocolError(
        'rate_limited',
        'too many messages from your server',
        limit.retryAfterSeconds,
      );
    }
    if (!isWithinSkew(message.timestamp, Date.now(), this.config.maxClockSkewMs)) {
      throw new ProtocolError('clock_skew', 'timestamp is outside the replay window');
    }
    // Signed by the sender within the replay window, and within its quota (which bounds the
    // cost): a sign of life. A replay of an old page is not one.
    this.signOfLife(sender);
    if (to.serverId !== this.config.serverId) {
      throw new ProtocolError(
        'wrong_server',
        `this is ${this.config.serverId}, not ${to.serverId}`,
      );
    }
    // A repeat needs no look-up first: recordOnce's ON CONFLICT finds it and reads back the
    // first answer, which stands even if the page would now be judged differently.
    const fromAddress = `${from.user}@${from.serverId}`;
    const found = await recipientLookup;
    const recipient = found?.user;
    let reason: RejectReason | null = null;
    let entry: InboxEntry | null = null;
    if (!found) reason = 'unknown_recipient';
    else reason = refusalReason(found.rules, fromAddress);
    if (recipient && reason === null) {
      entry = {
        recipientUserId: recipient.user_id,
        from: fromAddress,
        to: `${to.user}@${to.serverId}`,
        content: message.content,
        priority: message.priority,
        traceId: trace.traceId,
        traceParent: trace.spanId,
      };
    }
    const stored = await this.receipts.recordOnce(
      {
        senderServer: sender,
        messageId: message.message_id,
        digest,
        status: reason ? 'rejected' : 'delivered',
        reason,
      },
      entry,
    );
    if (stored.inboxRow)
      await this.webhooks.emit(
        'message.received',
        toMessageView(stored.inboxRow),
        traceFields(trace),
      );
    // A repeat names the digest of the copy stored first, never the repeat's (section 5).
    return this.answer(message.message_id, stored.digest, stored, sender, !stored.created, trace);
  }

  private async answer(
    messageId: string,
    digest: string,
    receipt: StoredReceipt,
    sender: string,
    duplicate: boolean,
    trace: TraceContext,
  ): Promise<Ack> {
    this.metrics.inboundMessages.inc({ result: duplicate ? 'duplicate' : receipt.status });
    this.logger.event('federation.message_received', {
      message_id: messageId,
      sender_server: sender,
      status: receipt.status,
      reason: receipt.reason ?? undefined,
      duplicate,
      ...traceFields(trace),
    });
    const ack: Omit<Ack, 'signature'> = {
      version: PROTOCOL_VERSION,
      ack_type: 'message_received',
      message_id: messageId,
      message_digest: digest,
      status: receipt.status,
      ...(receipt.reason ? { reason: receipt.reason as RejectReason } : {}),
      recipient_server: this.config.serverId,
      timestamp: formatProtocolTimestamp(Date.now()),
    };
    return this.serverKey.sign(ack) as Promise<Ack>;
  }

  /**
   * A verified page from `sender` is a sign of life: if we hold pages for it as
   * unreachable, probe it now rather than at the next probe interval. Only an ack of that
   * probe closes the breaker. Never delays or fails the inbound page.
   */
  private signOfLife(sender: string): void {
    this.destinations
      .signOfLife(sender, Date.now())
      .then((brought) => {
        if (!brought) return;
        this.logger.event('federation.destination_sign_of_life', { destination: sender });
        this.scheduler.nudge();
      })
      .catch((err: Error) =>
        this.logger.event(
          'federation.sign_of_life_failed',
          { destination: sender, error: err.message },
          'warn',
        ),
      );
  }

  /** The local user named `username` with the rules it receives by, or undefined. */
  private async recipientOf(username: string) {
    const user = await this.users.findByUsername(username, undefined, true);
    return user ? { user, rules: await this.users.recipientRules(user) } : undefined;
  }

  private async daemonSays(question: () => Promise<boolean>): Promise<boolean> {
    try {
      return await question();
    } catch (err) {
      if (err instanceof DaemonUnavailableError) {
        throw new ProtocolError('service_unavailable', 'discovery is unavailable, retry later');
      }
      throw err;
    }
  }
}
