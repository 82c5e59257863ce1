import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DatabaseMonitor, JobFailureLog, JsonLogger } from '@pager/server-kit';
import { DeliveryService } from './delivery.service';

export const DELIVERY_TICK_MS = 250;
/** Of the 10 s a stop may take, what in-flight attempts get before they are handed back. */
const DRAIN_GRACE_MS = 5_000;

/**
 * Decides when the outbox is looked at: every tick, and at once when a page is queued or
 * an attempt ends (a free slot), so that the pipeline never idles waiting for a tick.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  /**
   * Poll failures, once per change of state plus a minute summary (not once per tick, 4
   * a second): a database outage goes to the DatabaseMonitor (`database.unavailable`),
   * anything else is `federation.outbox_poll_failed` / `_summary` / `outbox_poll_recovered`.
   */
  private readonly pollFailures: JobFailureLog;

  constructor(
    @Inject(DeliveryService) private readonly delivery: DeliveryService,
    @Inject(JsonLogger) logger: JsonLogger,
    @Inject(DatabaseMonitor) database: DatabaseMonitor,
  ) {
    this.pollFailures = new JobFailureLog({
      failedEvent: 'federation.outbox_poll_failed',
      summaryEvent: 'federation.outbox_poll_failed_summary',
      recoveredEvent: 'federation.outbox_poll_recovered',
      sink: (name, fields, level) => logger.event(name, fields, level),
      database,
    });
  }

  onApplicationBootstrap(): void {
    this.pollFailures.start();
    this.delivery.onSlotFreed(() => this.nudge());
    this.schedule(0);
  }

  /** A page was just queued: look now rather than at the next tick. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.pollFailures.stop();
    await this.delivery.drain(DRAIN_GRACE_MS);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.again = false;
    let claimed = 0;
    try {
      claimed = await this.delivery.startDueAttempts();
      this.pollFailures.succeeded();
    } catch (err) {
      this.pollFailures.failed(err);
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.schedule(this.again || claimed > 0 ? 0 : DELIVERY_TICK_MS);
  }
}
