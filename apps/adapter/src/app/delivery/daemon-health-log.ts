import type { JsonLogger } from '@pager/server-kit';

/** While the daemon stays unreachable, one summary line per this many ms. */
export const DAEMON_SUMMARY_INTERVAL_MS = 60_000;

/**
 * Logs the local daemon's reachability as the outbox sees it once per change of state
 * (`federation.daemon_unreachable`, `federation.daemon_reachable`), plus one summary line
 * per minute while it is down (`federation.daemon_still_unreachable`, with the count of
 * pages that waited), instead of one line per page postponed.
 */
export class DaemonHealthLog {
  private downSinceMs: number | null = null;
  private lastLineMs = 0;
  private postponed = 0;

  constructor(
    private readonly logger: Pick<JsonLogger, 'event'>,
    private readonly summaryIntervalMs = DAEMON_SUMMARY_INTERVAL_MS,
  ) {}

  /** A page could not be routed because the daemon did not answer (`error`, at `nowMs`). */
  unreachable(error: string, nowMs: number): void {
    this.postponed++;
    if (this.downSinceMs === null) {
      this.downSinceMs = nowMs;
      this.lastLineMs = nowMs;
      this.logger.event('federation.daemon_unreachable', { error }, 'warn');
      return;
    }
    if (nowMs - this.lastLineMs >= this.summaryIntervalMs) {
      this.lastLineMs = nowMs;
      this.logger.event(
        'federation.daemon_still_unreachable',
        {
          error,
          since: new Date(this.downSinceMs).toISOString(),
          pages_postponed: this.postponed,
        },
        'warn',
      );
    }
  }

  /** The daemon answered a route lookup at `nowMs`. */
  reachable(nowMs: number): void {
    if (this.downSinceMs === null) return;
    this.logger.event('federation.daemon_reachable', {
      down_ms: nowMs - this.downSinceMs,
      pages_postponed: this.postponed,
    });
    this.downSinceMs = null;
    this.postponed = 0;
  }
}
