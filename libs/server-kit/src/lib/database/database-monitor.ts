import { Counter, Gauge, Registry } from 'prom-client';
import { EventSink, StateChangeLog } from '../logging/state-change-log';
import type { DatabaseErrorKind } from './database-errors';

export interface DatabaseMonitorOptions {
  /** Runs one cheap query (`SELECT 1`); rejects while the database cannot serve. */
  probe: () => Promise<unknown>;
  sink: EventSink;
  registry?: Registry;
  /** How often the probe runs while the database is down (ms, default 1 000). */
  probeIntervalMs?: number;
  /** Summary period of the outage log (ms, default 60 000). */
  summaryIntervalMs?: number;
  /**
   * The outage ends when a probe succeeds and no failure was reported for this long (ms,
   * default 5 000), so that a pool flapping at its limit is one outage, not dozens.
   */
  quietMs?: number;
  now?: () => number;
}

const KEY = 'database';

/**
 * Tracks database outages seen by requests and background jobs. The first failure logs
 * `database.unavailable`, later ones are counted (`database.unavailable_summary` every
 * minute with the count), and a probe (`SELECT 1` every second, only while down) logs
 * `database.recovered` with the outage's duration once the database answers again.
 *
 * Metrics: `pager_database_errors_total{kind}` (counter; kind `unavailable` or
 * `invalid_input`) and `pager_database_available` (gauge, 1 or 0).
 */
export class DatabaseMonitor {
  private readonly log: StateChangeLog;
  private readonly errors: Counter<'kind'> | undefined;
  private readonly available: Gauge | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private lastFailureAt = 0;

  constructor(private readonly options: DatabaseMonitorOptions) {
    this.log = new StateChangeLog({
      failedEvent: 'database.unavailable',
      recoveredEvent: 'database.recovered',
      summaryEvent: 'database.unavailable_summary',
      summaryIntervalMs: options.summaryIntervalMs,
      sink: options.sink,
    }).start();
    if (options.registry !== undefined) {
      this.errors = new Counter({
        name: 'pager_database_errors_total',
        help: 'Database errors answered without a 500, by kind (unavailable → 503, invalid_input → 400)',
        labelNames: ['kind'],
        registers: [options.registry],
      });
      this.available = new Gauge({
        name: 'pager_database_available',
        help: '1 while the database answers, 0 from the first failure until a probe succeeds',
        registers: [options.registry],
      });
      this.available.set(1);
    }
  }

  /** True from the first failure until a probe succeeds again. */
  get down(): boolean {
    return this.log.isFailing(KEY);
  }

  /** Records a failed database call of the given kind (`unavailable` starts probing). */
  failure(kind: DatabaseErrorKind, err: unknown): void {
    this.errors?.inc({ kind });
    if (kind !== 'unavailable') return;
    this.lastFailureAt = (this.options.now ?? Date.now)();
    this.log.fail(KEY, { error: describe(err) });
    this.available?.set(0);
    this.probeTimer ??= setInterval(() => void this.probe(), this.options.probeIntervalMs ?? 1_000);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await this.options.probe();
      const quiet = (this.options.now ?? Date.now)() - this.lastFailureAt;
      if (quiet < (this.options.quietMs ?? 5_000)) return;
      this.log.recover(KEY);
      this.available?.set(1);
      if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
      this.probeTimer = undefined;
    } catch {
      // still down: the next tick tries again; the summary counts the failures
    } finally {
      this.probing = false;
    }
  }

  close(): void {
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.log.stop();
  }
}

/** A short, secret-free description: SQLSTATE or socket code plus the first line. */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0].slice(0, 200) : '';
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
