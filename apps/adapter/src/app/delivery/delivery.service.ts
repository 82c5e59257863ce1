import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  Message,
  PROTOCOL_VERSION,
  formatProtocolTimestamp,
  isPermittedAddress,
  messageDigest,
} from '@pager/protocol';
import {
  DatabaseMonitor,
  JsonClient,
  JsonLogger,
  ServerKey,
  TRACEPARENT_HEADER,
  continueTrace,
  classifyDatabaseError,
  createJsonClient,
  formatTraceparent,
  parseTraceparent,
  traceFields,
} from '@pager/server-kit';
import { AdapterMetrics } from '../common/adapter-metrics';
import { decodeContent } from '../common/stored-content';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { DiscoveryClientService } from '../discovery-client/discovery-client.service';
import type { Route } from '../discovery-client/route';
import { MessageRow, toMessageView } from '../messages/message-view';
import { WebhooksService } from '../webhooks/webhooks.service';
import {
  KEY_MISMATCH_RETRIED,
  afterKeyMismatch,
  ackKeysFor,
  isRotating,
} from '../discovery-client/key-rotation-rules';
import { verifyAck } from './ack-verification';
import { DaemonHealthLog } from './daemon-health-log';
import {
  AttemptSignal,
  DestinationState,
  UNPROVEN_MAX_IN_FLIGHT,
  holdEndsMs,
  unprovenRoom,
} from './destination-rules';
import { DestinationStore } from './destination.store';
import { AttemptRecord, ClaimedPage, MessageStore, QueuedPage } from '../messages/message.store';
import { mayClaimAtOnce } from './claim-at-once';
import { AttemptOutcome, NextStep, nextStep, parseRetryAfter, withinHold } from './retry-schedule';

/** Pages claimed at once by one replica. */
export const MAX_IN_FLIGHT = 128;
/** Beyond the ack timeout, the time a claim may take for route lookup, signing and bookkeeping. */
export const LEASE_MARGIN_MS = 15_000;
const MAX_ACK_BYTES = 64 * 1024;
/** How often pages that will not be sent (stopped, hold run out) are looked for. */
const SWEEP_INTERVAL_MS = 1_000;
/** While destinations are unreachable, one summary line per this many ms. */
export const DESTINATION_SUMMARY_INTERVAL_MS = 60_000;
const MAX_PROBES_AT_ONCE = 32;

/**
 * Sends claimed pages: resolve the destination through the daemon, sign, POST, verify the
 * ack, then record the outcome the retry schedule decides. The scheduler says when.
 */
@Injectable()
export class DeliveryService {
  private readonly http: JsonClient;
  private readonly inFlight = new Map<
    string,
    {
      destination: string;
      /** Claimed for a destination that had proven itself (not a probe): see `unprovenRoom`. */
      proven: boolean;
      done: Promise<void>;
      abort: AbortController;
    }
  >();
  private stopping = false;
  private slotFreed: () => void = () => undefined;
  private lastSweepMs = 0;
  private lastSummaryMs = Date.now();
  private readonly daemonHealth: DaemonHealthLog;

  constructor(
    @Inject(ADAPTER_CONFIG) private readonly config: AdapterConfig,
    @Inject(MessageStore) private readonly outbox: MessageStore,
    @Inject(DiscoveryClientService) private readonly discovery: DiscoveryClientService,
    @Inject(ServerKey) private readonly serverKey: ServerKey,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(DestinationStore) private readonly destinations: DestinationStore,
    @Inject(DatabaseMonitor) private readonly database: DatabaseMonitor,
  ) {
    this.daemonHealth = new DaemonHealthLog(logger);
    // Destinations come from announcements the daemon checked; re-check at connect time.
    this.http = createJsonClient({
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

  /**
   * Queues a federated page accepted by `POST /api/v1/messages`. When this replica may send
   * it now (`mayClaimAtOnce`), its first attempt is signed first and the page is inserted
   * already claimed by this replica with that attempt's digest (`MessageStore.queueClaimed`,
   * one commit), then sent at once in this process: no outbox poll, no claim or digest
   * statement. Otherwise (or if the statement finds the destination busy, its breaker open
   * or older pages of it waiting) it is queued for the outbox poll. Either way the page is
   * durable when this resolves (a claim whose replica dies is taken again after its lease).
   * Answers 'sending' (started here) or 'queued' (the caller nudges the scheduler).
   */
  async queue(page: QueuedPage, nowMs = Date.now()): Promise<'sending' | 'queued'> {
    const atOnce = mayClaimAtOnce({
      stopping: this.stopping,
      inFlight: this.inFlight.size,
      maxInFlight: MAX_IN_FLIGHT,
      inFlightForDestination: this.inFlightTo(page.destination),
      perDestination: this.config.destinationMaxInFlight,
      unprovenRoom: this.unprovenRoom(),
    });
    if (!atOnce) {
      await this.outbox.queueFederated(page);
      return 'queued';
    }
    const signed = await this.signMessage({
      messageId: page.messageId,
      from: page.from,
      to: page.to,
      contentJson: page.contentJson,
      priority: page.priority,
    });
    const digest = messageDigest(signed);
    const claimed = await this.outbox.queueClaimed(page, {
      nowMs,
      perDestination: this.config.destinationMaxInFlight,
      unprovenCap: UNPROVEN_MAX_IN_FLIGHT,
      token: randomUUID(),
      leaseEndMs: nowMs + this.leaseMs,
      digest,
    });
    if (!claimed) return 'queued';
    claimed.presigned = { message: signed, digest };
    this.launch([claimed]);
    return 'sending';
  }

  /**
   * Ends what will not be sent (stopped destinations, holds run out), starts the probes
   * that are due, then claims what is due (up to the free capacity and the per-destination
   * cap) and starts the attempts; does not wait for them. Answers the number started.
   */
  async startDueAttempts(nowMs = Date.now()): Promise<number> {
    if (nowMs - this.lastSweepMs >= SWEEP_INTERVAL_MS) {
      this.lastSweepMs = nowMs;
      await this.endUndeliverable(nowMs);
    }
    const pages: ClaimedPage[] = [];
    // Probes are attempts to destinations that have not proven themselves: they share the
    // unproven part of the slots (the rest stays for destinations that ack).
    const probeSlots = Math.min(this.unprovenRoom(), MAX_PROBES_AT_ONCE);
    if (probeSlots > 0) {
      const due = await this.destinations.claimProbes(nowMs, nowMs + this.leaseMs, probeSlots);
      for (const destination of due) {
        const page = await this.outbox.claimProbe(
          destination,
          nowMs,
          this.leaseMs,
          this.config.deliveryAttempts,
        );
        if (page) pages.push(page);
      }
    }
    pages.push(
      ...(await this.outbox.claimDue(
        MAX_IN_FLIGHT - this.inFlight.size - pages.length,
        nowMs,
        this.leaseMs,
        this.config.deliveryAttempts,
        this.config.destinationMaxInFlight,
        { cap: UNPROVEN_MAX_IN_FLIGHT, room: Math.max(0, this.unprovenRoom() - pages.length) },
      )),
    );
    this.launch(pages);
    return pages.length;
  }

  /** How many more attempts to unproven destinations (and probes) this replica may start now. */
  private unprovenRoom(): number {
    let unprovenInFlight = 0;
    for (const flight of this.inFlight.values()) if (!flight.proven) unprovenInFlight++;
    return unprovenRoom({
      maxInFlight: MAX_IN_FLIGHT,
      inFlight: this.inFlight.size,
      unprovenInFlight,
    });
  }

  private launch(pages: ClaimedPage[]): void {
    for (const page of pages) {
      const abort = new AbortController();
      const done = this.attempt(page, abort.signal)
        .catch((err: Error) => {
          // A database outage fails every page in flight: logged once by the monitor (the
          // claim's lease hands each page back), not once per page.
          if (classifyDatabaseError(err) === 'unavailable')
            this.database.failure('unavailable', err);
          else
            this.logger.event(
              'federation.delivery_error',
              { message_id: page.message_id, error: err.message, ...spanFields(page) },
              'error',
            );
        })
        .finally(() => {
          this.inFlight.delete(page.id);
          this.slotFreed();
        });
      this.inFlight.set(page.id, {
        destination: page.destination,
        proven: page.proven === true && !page.probe,
        done,
        abort,
      });
    }
  }

  /** Stopped destinations and holds that ran out: those pages end `failed` (one line each). */
  private async endUndeliverable(nowMs: number): Promise<void> {
    const ended = await this.outbox.endUndeliverable(nowMs, this.config.holdMs);
    for (const row of ended) {
      this.metrics.deliveryOutcomes.inc({ status: 'failed' });
      await this.webhooks.emit('message.failed', toMessageView(row));
      this.logger.event(
        'federation.delivery_failed',
        {
          message_id: row.message_id,
          destination: row.destination,
          attempts: row.attempts,
          error: row.last_error,
          trace_id: row.trace_id ?? undefined,
        },
        'warn',
      );
    }
    if (nowMs - this.lastSummaryMs >= DESTINATION_SUMMARY_INTERVAL_MS) {
      this.lastSummaryMs = nowMs;
      const unreachable = await this.destinations.list(new Map(), 'unreachable');
      if (unreachable.length > 0) {
        const counts = await this.outbox.pageCounts(nowMs);
        this.logger.event(
          'federation.destinations_unreachable',
          {
            destinations: unreachable.length,
            pages_waiting: unreachable.reduce(
              (sum, d) => sum + (counts.get(d.server_id)?.waiting ?? 0),
              0,
            ),
            first: unreachable.slice(0, 10).map((d) => d.server_id),
          },
          'warn',
        );
      }
    }
  }

  /** Pages of `destination` in flight on this replica (at most MAX_IN_FLIGHT to count). */
  private inFlightTo(destination: string): number {
    let count = 0;
    for (const flight of this.inFlight.values()) if (flight.destination === destination) count++;
    return count;
  }

  /** For shutdown: waits up to `graceMs`, then aborts what is left and hands those claims back. */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = () => Promise.all([...this.inFlight.values()].map((f) => f.done));
    await Promise.race([all(), sleepFor(graceMs, undefined, { ref: false })]);
    for (const flight of this.inFlight.values()) flight.abort.abort();
    await Promise.race([all(), sleepFor(2_000, undefined, { ref: false })]);
  }

  private async attempt(page: ClaimedPage, signal: AbortSignal): Promise<void> {
    // This attempt's span: a child of the span the page was created in (stored with it).
    page.span = continueTrace(page.trace_id, page.trace_parent);
    if (page.exhausted) {
      // The worker of the last allowed attempt died: nothing more is sent, the page fails.
      const row = await this.finishPage(page, 'failed', page.last_error ?? 'attempt_interrupted');
      if (row) this.logFinal(page, 'failed', row.last_error, undefined);
      return;
    }
    const lookup = await this.discovery.resolveRoute(
      page.destination,
      formatTraceparent(page.span),
    );
    if (lookup.kind === 'unavailable') {
      // No attempt was made: none is spent, and the daemon's outage is logged once, not per page.
      this.daemonHealth.unreachable(lookup.error, Date.now());
      const step = nextStep(
        page.attempts,
        { kind: 'daemon_unavailable', error: lookup.error },
        Date.now(),
        this.config,
      );
      if (step.action === 'postpone') {
        this.metrics.deliveryAttempts.inc({ result: 'postponed' });
        await this.outbox.handBack(page, step.atMs, step.lastError);
      }
      return;
    }
    this.daemonHealth.reachable(Date.now());
    let sent: SentAttempt;
    if (lookup.kind === 'blocked') {
      sent = this.noRequest({ kind: 'destination_blocked' });
    } else if (lookup.kind === 'not_found') {
      // pin_pending: the daemon has not confirmed the destination's key yet; retried like
      // an unresolved domain, with the reason the operator can act on (fedctl pins).
      sent = this.noRequest({ kind: 'transient', error: lookup.error ?? 'domain_not_found' });
    } else {
      // A page claimed when it was accepted comes signed, its digest kept by that statement.
      const signed = page.presigned?.message ?? (await this.sign(page));
      const digest = page.presigned?.digest ?? messageDigest(signed);
      const digests = page.presigned ? [digest] : await this.outbox.recordDigest(page, digest);
      if (digests === undefined) {
        // Our claim was taken over (its lease ran out): the other holder owns the page now.
        this.logger.event(
          'federation.claim_lost',
          { message_id: page.message_id, attempt: page.attempts, ...spanFields(page) },
          'warn',
        );
        return;
      }
      const payload = JSON.stringify(signed);
      sent = await this.send(page, signed, payload, digests, lookup.route, signal);
      sent.digest = digest;
      sent.signedPayload = payload;
    }
    const outcome = sent.outcome;
    if (signal.aborted && outcome.kind !== 'delivered' && outcome.kind !== 'rejected') {
      await this.outbox.handBack(page, Date.now(), 'shutdown');
      return;
    }
    if (page.probe && outcome.kind === 'transient') {
      // Two tables, no order between them: one round trip's wait, not two, before the outcome.
      await Promise.all([
        this.recordAttempt(page, sent, page.probe),
        this.updateDestination(page, sent),
      ]);
      // The destination is still unreachable: the page waits again, having spent nothing.
      await this.outbox.handBack(page, Date.now(), outcome.error);
      return;
    }
    const nowMs = Date.now();
    let step = nextStep(page.attempts, outcome, nowMs, this.config);
    if (step.action === 'finish') {
      // The page's last attempt: its history row is written by the statement of the final
      // status (one commit fewer). The destination's (breaker) update is another table with
      // no order to keep: both at once, one round trip's wait before the page is final.
      const record = attemptRecordOf(page, sent, page.probe);
      this.noteAttempt(page, sent, record);
      const [, row] = await Promise.all([
        this.updateDestination(page, sent),
        this.finishPage(page, step.status, step.lastError, sent.signedPayload, record),
      ]);
      if (row) this.logFinal(page, step.status, step.lastError, sent.outcome.kind);
      return;
    }
    const retryAt = step.action === 'retry' ? step.atMs : undefined;
    const [, after] = await Promise.all([
      this.recordAttempt(page, sent, page.probe),
      this.updateDestination(page, sent, retryAt),
    ]);
    if (step.action === 'retry' && after?.state === 'unreachable') {
      // The breaker is open (this failure or another page's opened it): the page's hold
      // runs from then, and its retry must not fall after the hold's end.
      const holdEndMs = holdEndsMs(page.created_at.getTime(), after, this.config);
      step = { ...step, atMs: withinHold(step.atMs, nowMs, holdEndMs) };
    }
    await this.apply(page, step, sent);
  }

  /**
   * The breaker rules over this attempt; a change of state is logged once, here. `retryAtMs`:
   * when the page goes again, if it does (the destination's `next_attempt_at` agrees).
   * Answers the destination's state after it, or undefined if none was recorded.
   */
  private async updateDestination(
    page: ClaimedPage,
    sent: SentAttempt,
    retryAtMs?: number,
  ): Promise<DestinationState | undefined> {
    const o = sent.outcome;
    let signal: AttemptSignal;
    if (o.kind === 'delivered' || o.kind === 'rejected') signal = 'ack';
    else if (o.kind === 'refused' || sent.httpStatus === 429) signal = 'answered';
    else if (o.kind === 'transient') signal = 'failure';
    else return undefined;
    const error = o.kind === 'transient' || o.kind === 'refused' ? o.error : null;
    let change;
    try {
      change = await this.destinations.recordAttempt(
        page.destination,
        signal,
        error,
        Date.now(),
        this.config,
        retryAtMs,
      );
    } catch (err) {
      // The destination's state is bookkeeping: the page's own outcome is applied regardless.
      this.logger.event(
        'federation.destination_update_failed',
        { destination: page.destination, error: (err as Error).message },
        'error',
      );
      return undefined;
    }
    if (change.before.state !== change.after.state) {
      this.logger.event(
        'federation.destination_state',
        {
          destination: page.destination,
          from: change.before.state,
          to: change.after.state,
          reason: change.after.reason ?? undefined,
          next_attempt_at:
            change.after.nextAttemptMs === null
              ? undefined
              : new Date(change.after.nextAttemptMs).toISOString(),
        },
        change.after.state === 'healthy' ? 'info' : 'warn',
      );
      // Closed breaker: the pages that waited flow again (bounded by the per-destination cap).
      if (change.after.state === 'healthy') this.slotFreed();
    }
    return change.after;
  }

  /** An attempt that ended before any request left (blocked, unknown domain). */
  private noRequest(outcome: AttemptOutcome): SentAttempt {
    return { outcome, startedMs: Date.now(), durationMs: 0, httpStatus: null };
  }

  /** Adds the attempt to the page's history (its own statement), then counts and logs it. */
  private async recordAttempt(page: ClaimedPage, sent: SentAttempt, probe: boolean) {
    const record = attemptRecordOf(page, sent, probe);
    await this.outbox.recordAttempt(record);
    this.noteAttempt(page, sent, record);
  }

  /** The attempt's metric and its `federation.delivery_attempt` line. */
  private noteAttempt(page: ClaimedPage, sent: SentAttempt, record: AttemptRecord): void {
    this.metrics.deliveryAttempts.inc({ result: sent.outcome.kind });
    this.logger.event(
      'federation.delivery_attempt',
      {
        message_id: page.message_id,
        destination: page.destination,
        attempt: page.attempts,
        probe: record.probe || undefined,
        duration_ms: sent.durationMs,
        http_status: sent.httpStatus ?? undefined,
        result: sent.outcome.kind,
        error: record.error ?? undefined,
        ...spanFields(page),
      },
      sent.outcome.kind === 'delivered' ? 'info' : 'warn',
    );
  }

  private sign(page: ClaimedPage): Promise<Message> {
    return this.signMessage({
      messageId: page.message_id,
      from: page.from_address,
      to: page.to_address,
      contentJson: page.content_json,
      priority: page.priority,
    });
  }

  /** The page as one attempt sends it, signed now by our key. */
  private signMessage(page: {
    messageId: string;
    from: string;
    to: string;
    contentJson: string;
    priority: number;
  }): Promise<Message> {
    // A fresh timestamp per attempt keeps retries inside the receiver's replay window; the
    // message_id stays, so the receiver deduplicates.
    const message: Omit<Message, 'signature'> = {
      version: PROTOCOL_VERSION,
      message_id: page.messageId,
      message_type: 'pager',
      from: page.from,
      to: page.to,
      content: decodeContent(page.contentJson),
      priority: page.priority as Message['priority'],
      timestamp: formatProtocolTimestamp(Date.now()),
      sender_fingerprint: this.serverKey.fingerprint,
    };
    return this.serverKey.sign(message) as Promise<Message>;
  }

  /**
   * One request under one deadline, the ack timeout, for all of it: connect, TLS, headers
   * and body (a receiver trickling its body is cut at the deadline, not at a gap).
   * During our key rotation, the first `401 key_mismatch` a page ever gets is answered by
   * pushing our announcement and sending once more within this attempt (`retried`: this is
   * that second request); it is recorded as `key_mismatch_retried` and spends no attempt.
   * Any later key_mismatch for the page is final (docs/protocol.md §6, §14).
   */
  private async send(
    page: ClaimedPage,
    signed: Message,
    payload: string,
    digests: readonly string[],
    route: Route,
    signal: AbortSignal,
    retried = false,
  ): Promise<SentAttempt> {
    const url = `${route.federationUrl.replace(/\/+$/, '')}/messages`;
    this.logger.event(
      'federation.message_sent',
      {
        message_id: page.message_id,
        destination: page.destination,
        attempt: page.attempts,
        url,
        ...spanFields(page),
      },
      'debug',
    );
    const startedMs = Date.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.ackTimeoutMs);
    const done = (outcome: AttemptOutcome, httpStatus: number | null = null): SentAttempt => ({
      outcome,
      startedMs,
      durationMs: Date.now() - startedMs,
      httpStatus,
    });
    let res;
    try {
      res = await this.http.post(url, payload, {
        signal: AbortSignal.any([signal, deadline.signal]),
        headers: page.span ? { [TRACEPARENT_HEADER]: formatTraceparent(page.span) } : undefined,
      });
    } catch (err) {
      const e = err as { code?: string; message: string };
      const timedOut =
        deadline.signal.aborted || e.code === 'ETIMEDOUT' || e.code === 'ECONNABORTED';
      return done({
        kind: 'transient',
        error: timedOut
          ? 'ack_timeout'
          : signal.aborted
            ? 'interrupted'
            : `connection_failed: ${e.message}`,
      });
    } finally {
      clearTimeout(timer);
    }
    const retryAfterSeconds = parseRetryAfter(res.headers['retry-after'], Date.now());
    if (res.status >= 200 && res.status < 300) {
      // The receiver's span (docs/protocol.md §14), logged with the page's final line.
      const ackSpan = parseTraceparent(res.headers[TRACEPARENT_HEADER] as string | undefined);
      if (ackSpan && ackSpan.traceId === page.span?.traceId) page.ackSpanId = ackSpan.spanId;
      const verified = await this.verifyAckOf(page, res.data, signed, digests, route);
      if (!verified.ok) return done({ kind: 'transient', error: verified.error }, res.status);
      return done(
        verified.ack.status === 'delivered'
          ? { kind: 'delivered' }
          : { kind: 'rejected', reason: verified.ack.reason ?? 'rejected' },
        res.status,
      );
    }
    const code = errorCodeOf(res.data) ?? `http_${res.status}`;
    if (res.status === 401 && code === 'key_mismatch') {
      const rotating = isRotating(this.serverKey.previousSinceMs, Date.now());
      // Once per page: this request is the retry, or an earlier attempt already had it.
      const retriedBefore =
        retried ||
        (rotating && (await this.outbox.hadAttemptOutcome(page.id, KEY_MISMATCH_RETRIED)));
      if (afterKeyMismatch({ rotating, retriedBefore }) === 'push_and_retry' && !signal.aborted) {
        const pushed = await this.discovery.pushOwnAnnouncement();
        // Written before the retry leaves, so that a later attempt (here or on another
        // replica) finds the page's one retry spent even if this process dies meanwhile.
        await this.outbox.recordAttempt({
          ...attemptRecordOf(page, done({ kind: 'refused', error: code }, res.status), page.probe),
          outcome: KEY_MISMATCH_RETRIED,
          digest: messageDigest(signed),
        });
        this.metrics.deliveryAttempts.inc({ result: KEY_MISMATCH_RETRIED });
        this.logger.event(
          'federation.key_mismatch_retry',
          { message_id: page.message_id, destination: page.destination, pushed },
          'warn',
        );
        return this.send(page, signed, payload, digests, route, signal, true);
      }
      // Otherwise a final 4xx, below.
    }
    if (res.status === 429 || res.status >= 500)
      return done({ kind: 'transient', error: code, retryAfterSeconds }, res.status);
    if (res.status >= 400) return done({ kind: 'refused', error: code }, res.status);
    return done({ kind: 'transient', error: `http_${res.status}` }, res.status);
  }

  /**
   * The ack checked against the destination's pinned key (and, only when the operator opted
   * into KEY_ROTATION_GRACE_MS, the key a rotation just moved the pin away from). An ack whose
   * signature does not fit may come from a destination that rotated since we resolved it: our
   * daemon refreshes its key (at most once a minute) and the same ack is checked once more
   * against the pin as it then stands (docs/protocol.md §14). An ack still signed with the
   * old key is `ack_signature_invalid` by default: the page is not delivered by it.
   */
  private async verifyAckOf(
    page: ClaimedPage,
    ack: unknown,
    signed: Message,
    digests: readonly string[],
    route: Route,
  ) {
    const grace = this.config.keyRotationGraceMs;
    const verified = verifyAck(
      ack,
      signed,
      ackKeysFor(route, Date.now(), grace),
      page.destination,
      digests,
    );
    if (verified.ok || verified.error !== 'ack_signature_invalid') return verified;
    const refreshed = await this.discovery.refreshSender(page.destination);
    if (refreshed === null || refreshed.fingerprint === route.fingerprint) return verified;
    this.logger.event('federation.destination_key_refreshed', {
      destination: page.destination,
      from: route.fingerprint,
      to: refreshed.fingerprint,
    });
    return verifyAck(
      ack,
      signed,
      ackKeysFor(refreshed, Date.now(), grace),
      page.destination,
      digests,
    );
  }

  /**
   * Writes what `step` says, fenced by the claim token (a late result of a claim that was
   * taken over changes nothing), and logs it only if it was applied: so after a page's one
   * final outcome line nothing more is logged for it.
   */
  private async apply(page: ClaimedPage, step: NextStep, sent: SentAttempt): Promise<void> {
    if (step.action === 'retry') {
      if (
        await this.outbox.scheduleRetry(page, step.atMs, step.lastError, sent.signedPayload ?? null)
      )
        this.logger.event(
          'federation.delivery_retry',
          {
            message_id: page.message_id,
            destination: page.destination,
            attempt: page.attempts,
            error: step.lastError,
            retry_at: new Date(step.atMs).toISOString(),
            ...spanFields(page),
          },
          'warn',
        );
      return;
    }
    if (step.action === 'postpone') {
      await this.outbox.handBack(page, step.atMs, step.lastError);
      return;
    }
    const row = await this.finishPage(page, step.status, step.lastError, sent.signedPayload);
    if (row) this.logFinal(page, step.status, step.lastError, sent.outcome.kind);
  }

  private async finishPage(
    page: ClaimedPage,
    status: 'delivered' | 'rejected' | 'failed',
    lastError: string | null,
    signedPayload: string | null = null,
    attempt: AttemptRecord | null = null,
  ): Promise<MessageRow | undefined> {
    const row = await this.outbox.finishReturning(
      page,
      status,
      lastError,
      Date.now(),
      signedPayload ?? null,
      attempt,
    );
    if (!row) return undefined;
    this.metrics.deliveryOutcomes.inc({ status });
    await this.webhooks.emit(`message.${status}`, toMessageView(row), spanFields(page));
    return row;
  }

  /** The one line of a page's final outcome. */
  private logFinal(
    page: ClaimedPage,
    status: 'delivered' | 'rejected' | 'failed',
    lastError: string | null,
    outcome: AttemptOutcome['kind'] | undefined,
  ): void {
    const fields = {
      message_id: page.message_id,
      destination: page.destination,
      attempts: page.attempts,
      ...spanFields(page),
      ack_span_id: page.ackSpanId,
    };
    if (status === 'delivered') this.logger.event('federation.message_delivered', fields);
    else if (status === 'rejected')
      this.logger.event('federation.message_rejected', { ...fields, reason: lastError });
    else
      this.logger.event(
        'federation.delivery_failed',
        { ...fields, error: lastError, outcome },
        'warn',
      );
  }
}

/** What one attempt did: its outcome, and for the history its timing and HTTP status. */
interface SentAttempt {
  outcome: AttemptOutcome;
  startedMs: number;
  durationMs: number;
  httpStatus: number | null;
  digest?: string;
  signedPayload?: string;
}

/** The history row of one attempt (SERVICES.md: the page's attempt history). */
function attemptRecordOf(page: ClaimedPage, sent: SentAttempt, probe: boolean): AttemptRecord {
  const o = sent.outcome;
  const error =
    o.kind === 'transient' || o.kind === 'refused'
      ? o.error
      : o.kind === 'rejected'
        ? o.reason
        : o.kind === 'destination_blocked'
          ? 'blocked'
          : null;
  return {
    messageRowId: page.id,
    attempt: page.attempts,
    probe,
    startedAt: new Date(sent.startedMs),
    durationMs: sent.durationMs,
    httpStatus: sent.httpStatus,
    error,
    outcome: o.kind,
    digest: sent.digest ?? null,
  };
}

/** `trace_id` and `span_id` of the attempt in progress, for every line about the page. */
function spanFields(page: ClaimedPage): { trace_id?: string; span_id?: string } {
  return page.span ? traceFields(page.span) : {};
}

function errorCodeOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const code = (data as { error?: unknown }).error;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}
