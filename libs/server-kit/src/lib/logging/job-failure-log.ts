import { classifyDatabaseError } from '../database/database-errors';
import type { DatabaseMonitor } from '../database/database-monitor';
import { EventSink, StateChangeLog } from './state-change-log';

export interface JobFailureLogOptions {
  /** Logged once when the job starts failing (level `warn`), e.g. `federation.outbox_poll_failed`. */
  failedEvent: string;
  /** Logged every `summaryIntervalMs` while it keeps failing, with `count` (level `warn`). */
  summaryEvent: string;
  /** Logged once when a run succeeds again, with `total` and `duration_ms` (level `info`). */
  recoveredEvent: string;
  sink: EventSink;
  /**
   * Where database outages go: a failure classified `unavailable` is only reported to the
   * monitor (`database.unavailable` once, then its minute summary), not logged again here.
   */
  database?: Pick<DatabaseMonitor, 'failure'>;
  /** Summary period in ms (default 60 000). */
  summaryIntervalMs?: number;
  now?: () => number;
}

/** Where one failure of a background job is reported (pure: the error decides). */
export function jobFailureRoute(err: unknown): 'database' | 'job' {
  return classifyDatabaseError(err) === 'unavailable' ? 'database' : 'job';
}

/**
 * The failures of one periodic background job (an outbox poll every 250 ms, a webhook
 * poll): logged once per change of state plus a periodic summary with a count, instead of
 * once per run (issue 10). A database outage goes to the {@link DatabaseMonitor}, which
 * already logs it that way for every caller; anything else is this job's own condition.
 * Call `failed(err)` from the job's catch and `succeeded()` after a run that worked.
 */
export class JobFailureLog {
  private static readonly KEY = 'job';
  private readonly log: StateChangeLog;

  constructor(private readonly options: JobFailureLogOptions) {
    this.log = new StateChangeLog({
      failedEvent: options.failedEvent,
      summaryEvent: options.summaryEvent,
      recoveredEvent: options.recoveredEvent,
      summaryIntervalMs: options.summaryIntervalMs,
      sink: options.sink,
      now: options.now,
    });
  }

  /** One failed run (`fields` go on the first line and the summaries). */
  failed(err: unknown, fields: Record<string, unknown> = {}): void {
    if (this.options.database !== undefined && jobFailureRoute(err) === 'database') {
      this.options.database.failure('unavailable', err);
      return;
    }
    this.log.fail(JobFailureLog.KEY, { error: errorMessage(err), ...fields });
  }

  /** A run that worked: logs the recovery if the job was failing. */
  succeeded(): void {
    this.log.recover(JobFailureLog.KEY);
  }

  /** Summaries are due (call from a timer, or let `start()` make an unref'd one). */
  summarize(): void {
    this.log.summarize();
  }

  start(): this {
    this.log.start();
    return this;
  }

  stop(): void {
    this.log.stop();
  }
}

function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown })?.message;
  return typeof message === 'string' ? message.split('\n')[0].slice(0, 300) : String(err);
}
