import { setTimeout as sleepFor } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  Message,
  PROTOCOL_VERSION,
  formatProtocolTimestamp,
  isPermittedAddress,
  messageDigest,
} from '@pager/protocol';
import { JsonLogger, ServerKey, createHttpClient } from '@pager/server-kit';
import type { AxiosInstance } from 'axios';
import { AdapterMetrics } from '../common/adapter-metrics';
import { decodeContent } from '../common/stored-content';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { DiscoveryClientService } from '../discovery-client/discovery-client.service';
import type { Route } from '../discovery-client/route';
import { toMessageView } from '../messages/message-view';
import { WebhooksService } from '../webhooks/webhooks.service';
import { verifyAck } from './ack-verification';
import { ClaimedPage, DeliveryOutbox } from './delivery-outbox';
import { AttemptOutcome, NextStep, nextStep, parseRetryAfter } from './retry-schedule';

/** Pages claimed at once by one replica. */
export const MAX_IN_FLIGHT = 128;
/** Beyond the ack timeout, the time a claim may take for route lookup, signing and bookkeeping. */
export const LEASE_MARGIN_MS = 15_000;
const MAX_ACK_BYTES = 64 * 1024;

/**
 * Sends claimed pages: resolve the destination through the daemon, sign, POST, verify the
 * ack, then record the outcome the retry schedule decides. The scheduler says when.
 */
@Injectable()
export class DeliveryService {
  private readonly http: AxiosInstance;
  private readonly inFlight = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private slotFreed: () => void = () => undefined;

  constructor(
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
    @Inject(DeliveryOutbox) private readonly outbox: DeliveryOutbox,
    @Inject(DiscoveryClientService) private readonly discovery: DiscoveryClientService,
    @Inject(ServerKey) private readonly serverKey: ServerKey,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
  ) {
    // Destinations come from announcements the daemon checked; re-check at connect time.
    this.http = createHttpClient({
      timeoutMs: config.ackTimeoutMs,
      maxBodyBytes: MAX_ACK_BYTES,
      permitAddress: (ip) => isPermittedAddress(ip, config.allowPrivateEndpoints),
    });
  }

  /** Called each time an attempt ends, so that a full pipeline refills at once, not at the next tick. */
  onSlotFreed(listener: () => void): void {
    this.slotFreed = listener;
  }

  get leaseMs(): number {
    return this.config.ackTimeoutMs + LEASE_MARGIN_MS;
  }

  /** Claims what is due (up to the free capacity) and starts the attempts; does not wait for them. */
  async startDueAttempts(nowMs = Date.now()): Promise<number> {
    const pages = await this.outbox.claimDue(
      MAX_IN_FLIGHT - this.inFlight.size,
      nowMs,
      this.leaseMs,
    );
    for (const page of pages) {
      const abort = new AbortController();
      const done = this.attempt(page, abort.signal)
        .catch((err: Error) =>
          this.logger.event(
            'federation.delivery_error',
            { message_id: page.message_id, error: err.message },
            'error',
          ),
        )
        .finally(() => {
          this.inFlight.delete(page.id);
          this.slotFreed();
        });
      this.inFlight.set(page.id, { done, abort });
    }
    return pages.length;
  }

  /** For shutdown: waits up to `graceMs`, then aborts what is left and hands those claims back. */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.inFlight.values()].map((f) => f.done));
    await Promise.race([all(), sleepFor(graceMs, undefined, { ref: false })]);
    for (const flight of this.inFlight.values()) flight.abort.abort();
    await Promise.race([all(), sleepFor(2_000, undefined, { ref: false })]);
  }

  private async attempt(page: ClaimedPage, signal: AbortSignal): Promise<void> {
    const nowMs = Date.now();
    if (page.attempts > this.config.deliveryAttempts) {
      // The previous claim's worker died during the last allowed attempt.
      await this.apply(
        page,
        { action: 'finish', status: 'failed', lastError: page.last_error ?? 'attempt_interrupted' },
        null,
      );
      return;
    }
    const lookup = await this.discovery.resolveRoute(page.destination);
    let outcome: AttemptOutcome;
    let signed: Message | null = null;
    if (lookup.kind === 'unavailable')
      outcome = { kind: 'daemon_unavailable', error: lookup.error };
    else if (lookup.kind === 'blocked') outcome = { kind: 'destination_blocked' };
    else if (lookup.kind === 'not_found')
      outcome = { kind: 'transient', error: 'domain_not_found' };
    else {
      signed = await this.sign(page);
      const digests = await this.outbox.recordDigest(page, messageDigest(signed));
      if (digests === undefined) {
        // Our claim was taken over (lease ran out): the other holder owns this page now.
        this.logger.event(
          'federation.claim_lost',
          { message_id: page.message_id, attempt: page.attempts },
          'warn',
        );
        return;
      }
      outcome = await this.send(page, signed, digests, lookup.route, signal);
    }
    if (signal.aborted && outcome.kind !== 'delivered' && outcome.kind !== 'rejected') {
      await this.outbox.handBack(page, Date.now(), 'shutdown');
      return;
    }
    const step = nextStep(page.attempts, outcome, Date.now(), this.config);
    this.logAttempt(page, outcome, step, nowMs);
    await this.apply(page, step, signed ? JSON.stringify(signed) : null);
  }

  private sign(page: ClaimedPage): Promise<Message> {
    // A fresh timestamp per attempt keeps retries inside the receiver's replay window; the
    // message_id stays, so the receiver deduplicates.
    const message: Omit<Message, 'signature'> = {
      version: PROTOCOL_VERSION,
      message_id: page.message_id,
      message_type: 'pager',
      from: page.from_address,
      to: page.to_address,
      content: decodeContent(page.content_json),
      priority: page.priority as Message['priority'],
      timestamp: formatProtocolTimestamp(Date.now()),
      sender_fingerprint: this.serverKey.fingerprint,
    };
    return this.serverKey.sign(message) as Promise<Message>;
  }

  private async send(
    page: ClaimedPage,
    signed: Message,
    digests: readonly string[],
    route: Route,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    const url = `${route.federationUrl.replace(/\/+$/, '')}/messages`;
    this.logger.event('federation.message_sent', {
      message_id: page.message_id,
      destination: page.destination,
      attempt: page.attempts,
      url,
    });
    let res;
    try {
      res = await this.http.post(url, signed, { signal });
    } catch (err) {
      const e = err as { code?: string; message: string };
      return {
        kind: 'transient',
        error:
          e.code === 'ETIMEDOUT' || e.code === 'ECONNABORTED'
            ? 'ack_timeout'
            : `connection_failed: ${e.message}`,
      };
    }
    const retryAfterSeconds = parseRetryAfter(res.headers['retry-after'], Date.now());
    if (res.status >= 200 && res.status < 300) {
      const verified = verifyAck(res.data, signed, route.publicKey, page.destination, digests);
      if (!verified.ok) return { kind: 'transient', error: verified.error };
      this.logger.event('federation.ack_received', {
        message_id: page.message_id,
        destination: page.destination,
        status: verified.ack.status,
        reason: verified.ack.reason,
      });
      return verified.ack.status === 'delivered'
        ? { kind: 'delivered' }
        : { kind: 'rejected', reason: verified.ack.reason ?? 'rejected' };
    }
    const code = errorCodeOf(res.data) ?? `http_${res.status}`;
    if (res.status === 429 || res.status >= 500)
      return { kind: 'transient', error: code, retryAfterSeconds };
    if (res.status >= 400) return { kind: 'refused', error: code };
    return { kind: 'transient', error: `http_${res.status}` };
  }

  private async apply(
    page: ClaimedPage,
    step: NextStep,
    signedPayload: string | null,
  ): Promise<void> {
    const nowMs = Date.now();
    if (step.action === 'retry') {
      await this.outbox.scheduleRetry(page, step.atMs, step.lastError, signedPayload);
      return;
    }
    if (step.action === 'postpone') {
      await this.outbox.handBack(page, step.atMs, step.lastError);
      return;
    }
    const row = await this.outbox.finishReturning(
      page,
      step.status,
      step.lastError,
      nowMs,
      signedPayload,
    );
    if (!row) return;
    this.metrics.deliveryOutcomes.inc({ status: step.status });
    this.webhooks.emit(`message.${step.status}`, toMessageView(row));
  }

  private logAttempt(
    page: ClaimedPage,
    outcome: AttemptOutcome,
    step: NextStep,
    startedMs: number,
  ): void {
    const fields = {
      message_id: page.message_id,
      destination: page.destination,
      attempt: page.attempts,
      duration_ms: Date.now() - startedMs,
    };
    if (step.action === 'postpone') {
      this.metrics.deliveryAttempts.inc({ result: 'postponed' });
      this.logger.event(
        'federation.delivery_retry',
        {
          ...fields,
          error: step.lastError,
          attempt_spent: false,
          retry_at: new Date(step.atMs).toISOString(),
        },
        'warn',
      );
    } else if (step.action === 'retry') {
      this.metrics.deliveryAttempts.inc({ result: 'retry' });
      this.logger.event(
        'federation.delivery_retry',
        { ...fields, error: step.lastError, retry_at: new Date(step.atMs).toISOString() },
        'warn',
      );
    } else if (step.status === 'delivered') {
      this.metrics.deliveryAttempts.inc({ result: 'delivered' });
    } else if (step.status === 'rejected') {
      this.metrics.deliveryAttempts.inc({ result: 'rejected' });
      this.logger.event('federation.message_rejected', { ...fields, reason: step.lastError });
    } else {
      this.metrics.deliveryAttempts.inc({ result: 'failed' });
      this.logger.event(
        'federation.delivery_failed',
        { ...fields, error: step.lastError, outcome: outcome.kind },
        'warn',
      );
    }
  }
}

function errorCodeOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const code = (data as { error?: unknown }).error;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}
