import type { LogLevel } from '../config/common-config';

/** Where a {@link StateChangeLog} writes: a logger's `event(name, fields, level)`. */
export type EventSink = (name: string, fields: Record<string, unknown>, level: LogLevel) => void;

export interface StateChangeLogOptions {
  /** Logged once when a key starts failing, e.g. `database.unavailable` (level `warn`). */
  failedEvent: string;
  /** Logged once when it recovers, with the count and the duration (level `info`). */
  recoveredEvent: string;
  /** Logged every `summaryIntervalMs` while a key is failing (level `warn`). */
  summaryEvent: string;
  /** Summary period in ms (default 60 000). */
  summaryIntervalMs?: number;
  /** At most this many keys are tracked; further keys are only counted (default 10 000). */
  maxKeys?: number;
  sink: EventSink;
  now?: () => number;
}

interface KeyState {
  since: number;
  /** Occurrences since the key started failing. */
  total: number;
  /** Occurrences since the last line about this key. */
  sinceLastLine: number;
  lastLineAt: number;
  lastFields: Record<string, unknown>;
}

/**
 * Logs a repeated condition once per state change plus a periodic summary with a count,
 * instead of once per occurrence (issue 10: 1,400 lines/s for one unreachable daemon).
 * A key is what fails: `database`, a destination's server id, `daemon`.
 *
 * - `fail(key, fields)`: the first occurrence logs `failedEvent` with the fields; later ones
 *   only count.
 * - `summarize()` (call from a timer, or let `start()` make an unref'd one): for each key
 *   failing for longer than the interval since its last line, logs `summaryEvent` with
 *   `count` (occurrences since the last line), `total`, `since` (ISO) and the last fields.
 * - `recover(key, fields)`: if the key was failing, logs `recoveredEvent` with `total` and
 *   `duration_ms`, and forgets it.
 *
 * The line count is therefore bounded by 2 per outage plus one per interval per failing key,
 * whatever the rate of occurrences.
 */
export class StateChangeLog {
  private readonly failing = new Map<string, KeyState>();
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** Occurrences for keys beyond `maxKeys`, reported in the next summary. */
  private untracked = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StateChangeLogOptions) {
    this.intervalMs = options.summaryIntervalMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Records one occurrence of the condition for `key`; logs only on the change to failing. */
  fail(key: string, fields: Record<string, unknown> = {}): void {
    const state = this.failing.get(key);
    if (state !== undefined) {
      state.total += 1;
      state.sinceLastLine += 1;
      state.lastFields = fields;
      return;
    }
    if (this.failing.size >= this.maxKeys) {
      this.untracked += 1;
      return;
    }
    const now = this.now();
    this.failing.set(key, {
      since: now,
      total: 1,
      sinceLastLine: 0,
      lastLineAt: now,
      lastFields: fields,
    });
    this.options.sink(this.options.failedEvent, { key, ...fields }, 'warn');
  }

  /** The condition ended for `key`; logs the recovery if it was failing. */
  recover(key: string, fields: Record<string, unknown> = {}): void {
    const state = this.failing.get(key);
    if (state === undefined) return;
    this.failing.delete(key);
    this.options.sink(
      this.options.recoveredEvent,
      {
        key,
        ...fields,
        total: state.total,
        since: new Date(state.since).toISOString(),
        duration_ms: this.now() - state.since,
      },
      'info',
    );
  }

  isFailing(key: string): boolean {
    return this.failing.has(key);
  }

  /** Keys failing now. */
  failingKeys(): string[] {
    return [...this.failing.keys()];
  }

  /** Logs a summary for every key whose last line is at least one interval old. */
  summarize(): void {
    const now = this.now();
    for (const [key, state] of this.failing) {
      if (now - state.lastLineAt < this.intervalMs) continue;
      this.options.sink(
        this.options.summaryEvent,
        {
          key,
          ...state.lastFields,
          count: state.sinceLastLine,
          total: state.total,
          since: new Date(state.since).toISOString(),
          duration_ms: now - state.since,
        },
        'warn',
      );
      state.sinceLastLine = 0;
      state.lastLineAt = now;
    }
    if (this.untracked > 0) {
      this.options.sink(
        this.options.summaryEvent,
        { key: '(untracked)', count: this.untracked, tracked_keys: this.failing.size },
        'warn',
      );
      this.untracked = 0;
    }
  }

  /** Runs `summarize()` on an unref'd timer (a tenth of the interval, at least 1 s). */
  start(): this {
    this.timer ??= setInterval(
      () => this.summarize(),
      Math.max(1_000, Math.floor(this.intervalMs / 10)),
    );
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
