import { randomUUID } from 'node:crypto';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DatabaseMonitor, JobFailureLog, JsonLogger, createHttpClient } from '@pager/server-kit';
import type { AxiosInstance } from 'axios';
import { DataSource } from 'typeorm';
import { AdapterMetrics } from '../common/adapter-metrics';
import { Batcher } from '../common/batcher';
import type { AdapterConfig } from '../config/adapter-config';
import { ADAPTER_CONFIG } from '../config/adapter-config.module';
import { WEBHOOK_HEADERS, webhookSignature } from './webhook-signature';

export type WebhookEvent =
  | 'message.received'
  | 'message.delivered'
  | 'message.failed'
  | 'message.rejected';

const WEBHOOK_TIMEOUT_MS = 5_000;
/** Attempts per event before it is given up (kept in the table with its last error). */
export const WEBHOOK_MAX_ATTEMPTS = 12;
const WEBHOOK_FIRST_BACKOFF_MS = 1_000;
const WEBHOOK_MAX_BACKOFF_MS = 10 * 60_000;
/** A claimed event is not taken by another replica for this long (a post takes at most 5 s). */
const WEBHOOK_LEASE_MS = 30_000;
const WEBHOOK_POLL_MS = 500;
const WEBHOOK_BATCH = 16;
/** Posted events are deleted after this long. */
const WEBHOOK_RETENTION_MS = 7 * 86_400_000;

/** Backoff after failed attempt number `attempt` (1-based): 1 s, 2 s, 4 s ... at most 10 min. */
export function webhookBackoffMs(attempt: number): number {
  return Math.min(WEBHOOK_FIRST_BACKOFF_MS * 2 ** Math.max(0, attempt - 1), WEBHOOK_MAX_BACKOFF_MS);
}

interface NewEvent {
  eventId: string;
  event: WebhookEvent;
  body: string;
  createdAt: Date;
}

interface ClaimedEvent {
  event_id: string;
  event: string;
  body: string;
  attempts: number;
  claim_token: string;
}

/**
 * Tells the pager tool about pages (PAGER_WEBHOOK_URL) through a durable outbox, the
 * `webhook_events` table, of which this is the only writer: `emit` records the event
 * (after the page's own commit), a loop posts due events, at least once, each with its
 * `event_id`, signed with HMAC-SHA256 under PAGER_WEBHOOK_SECRET (webhook-signature.ts),
 * retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS; replicas share the table.
 * A webhook outage never loses or blocks a page: recording failures are logged, not thrown.
 */
@Injectable()
export class WebhooksService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly http: AxiosInstance | undefined;
  private readonly url: string | undefined;
  private readonly secret: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastCleanupMs = 0;
  /** Poll failures once per change of state plus a minute summary (a database outage: the monitor). */
  private readonly pollFailures: JobFailureLog;
  private readonly recording = new Batcher<NewEvent, void>((items) => this.insert(items), {
    maxBatch: 256,
    maxRunning: 2,
  });

  constructor(
    @Inject(ADAPTER_CONFIG) config: AdapterConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(AdapterMetrics) private readonly metrics: AdapterMetrics,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(DatabaseMonitor) database: DatabaseMonitor,
  ) {
    this.pollFailures = new JobFailureLog({
      failedEvent: 'webhook.poll_failed',
      summaryEvent: 'webhook.poll_failed_summary',
      recoveredEvent: 'webhook.poll_recovered',
      sink: (name, fields, level) => logger.event(name, fields, level),
      database,
    });
    this.url = config.pagerWebhookUrl;
    this.secret = config.pagerWebhookSecret;
    this.http = this.url
      ? createHttpClient({ timeoutMs: WEBHOOK_TIMEOUT_MS, maxBodyBytes: 64 * 1024 })
      : undefined;
  }

  /**
   * Records `event` about `message` (a message view) for posting; resolves once the row is
   * committed. Call it after the page's own change is committed. Never throws.
   * `logFields` (e.g. the page's `trace_id`) go on the line logged if recording fails.
   */
  async emit(
    event: WebhookEvent,
    message: object,
    logFields: Record<string, unknown> = {},
  ): Promise<void> {
    if (this.url === undefined) return;
    const eventId = randomUUID();
    const createdAt = new Date();
    const body = JSON.stringify({
      event_id: eventId,
      event,
      created_at: createdAt.toISOString(),
      message,
    });
    try {
      await this.recording.submit({ eventId, event, body, createdAt });
      this.poke();
    } catch (err) {
      this.logger.event(
        'webhook.record_failed',
        { event, error: (err as Error).message, ...logFields },
        'error',
      );
    }
  }

  onApplicationBootstrap(): void {
    if (this.url === undefined) return;
    this.pollFailures.start();
    if (this.secret === undefined)
      this.logger.event('webhook.unsigned', { reason: 'PAGER_WEBHOOK_SECRET is not set' }, 'warn');
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.pollFailures.stop();
    // Posts in flight finish (5 s at most); what is left stays in the table for next time.
    await this.running;
  }

  private poke(): void {
    if (!this.running && !this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.postDue()
        .then((more) => {
          this.pollFailures.succeeded();
          return more;
        })
        .catch((err: Error) => this.pollFailures.failed(err))
        .then((more) => {
          this.running = undefined;
          this.schedule(more === true ? 0 : WEBHOOK_POLL_MS);
        });
    }, ms);
  }

  /** One round: claim due events, post them in parallel, record each result. More due? */
  private async postDue(): Promise<boolean> {
    const nowMs = Date.now();
    if (nowMs - this.lastCleanupMs > 3_600_000) {
      this.lastCleanupMs = nowMs;
      await this.db.query('DELETE FROM webhook_events WHERE delivered_at < $1', [
        new Date(nowMs - WEBHOOK_RETENTION_MS),
      ]);
    }
    const [claimed] = (await this.db.query(
      `UPDATE webhook_events w SET claim_token = $3, next_attempt_at = $2, attempts = w.attempts + 1
       FROM (SELECT event_id FROM webhook_events WHERE next_attempt_at <= $1
             ORDER BY next_attempt_at, created_at LIMIT $4 FOR UPDATE SKIP LOCKED) due
       WHERE w.event_id = due.event_id
       RETURNING w.event_id, w.event, w.body, w.attempts, w.claim_token`,
      [new Date(nowMs), new Date(nowMs + WEBHOOK_LEASE_MS), randomUUID(), WEBHOOK_BATCH],
    )) as [ClaimedEvent[], number];
    await Promise.all(claimed.map((e) => this.post(e)));
    return claimed.length === WEBHOOK_BATCH;
  }

  private async post(e: ClaimedEvent): Promise<void> {
    if (this.http === undefined || this.url === undefined) return;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [WEBHOOK_HEADERS.eventId]: e.event_id,
      [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    };
    if (this.secret !== undefined)
      headers[WEBHOOK_HEADERS.signature] = webhookSignature(this.secret, timestamp, e.body);
    let error: string | null = null;
    try {
      // The body is posted exactly as stored (and signed): a string, not re-serialised.
      const res = await this.http.post(this.url, e.body, {
        headers,
        transformRequest: [(data: unknown) => data],
      });
      if (res.status < 200 || res.status >= 300) error = `http_${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    if (error === null) {
      this.metrics.webhookPosts.inc({ result: 'ok' });
      await this.db.query(
        `UPDATE webhook_events SET delivered_at = now(), next_attempt_at = NULL, claim_token = NULL, last_error = NULL
         WHERE event_id = $1 AND claim_token = $2`,
        [e.event_id, e.claim_token],
      );
      return;
    }
    const giveUp = e.attempts >= WEBHOOK_MAX_ATTEMPTS;
    this.metrics.webhookPosts.inc({ result: giveUp ? 'failed' : 'retry' });
    await this.db.query(
      `UPDATE webhook_events SET next_attempt_at = $3, claim_token = NULL, last_error = $4
       WHERE event_id = $1 AND claim_token = $2`,
      [
        e.event_id,
        e.claim_token,
        giveUp ? null : new Date(Date.now() + webhookBackoffMs(e.attempts)),
        error,
      ],
    );
    if (giveUp)
      this.logger.event(
        'webhook.failed',
        { event: e.event, event_id: e.event_id, error, attempts: e.attempts },
        'warn',
      );
  }

  private async insert(items: NewEvent[]): Promise<void[]> {
    await this.db.query(
      `INSERT INTO webhook_events (event_id, event, body, created_at, next_attempt_at)
       SELECT v.event_id, v.event, v.body, v.created_at, v.created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS v(event_id, event, body, created_at)`,
      [
        items.map((i) => i.eventId),
        items.map((i) => i.event),
        items.map((i) => i.body),
        items.map((i) => i.createdAt),
      ],
    );
    return items.map(() => undefined);
  }
}
