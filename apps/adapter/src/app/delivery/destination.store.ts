import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Batcher } from '../common/batcher';
import {
  AttemptSignal,
  BreakerPolicy,
  DestinationState,
  DestinationStateName,
  afterAttempt,
  afterOperator,
  afterRetryNow,
  newDestination,
} from './destination-rules';
import type { PageCounts } from '../messages/message.store';

interface DestinationRow {
  server_id: string;
  state: DestinationStateName;
  reason: string | null;
  since: Date;
  consecutive_failures: number;
  last_success_at: Date | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  version: number;
}

/** A destination as the operator API shows it (SERVICES.md, Destinations). */
export interface DestinationView {
  server_id: string;
  state: DestinationStateName;
  reason: string | null;
  since: string;
  last_success_at: string | null;
  last_error: string | null;
  next_attempt_at: string | null;
  pages_waiting: number;
  pages_in_flight: number;
  consecutive_failures: number;
}

export interface StateChange {
  serverId: string;
  before: DestinationState;
  after: DestinationState;
}

/** Below this, a success on an already healthy destination does not rewrite last_success_at. */
const SUCCESS_WRITE_INTERVAL_MS = 1_000;

function toState(row: DestinationRow): DestinationState {
  return {
    state: row.state,
    reason: row.reason,
    sinceMs: row.since.getTime(),
    consecutiveFailures: row.consecutive_failures,
    lastSuccessMs: row.last_success_at ? row.last_success_at.getTime() : null,
    lastError: row.last_error,
    nextAttemptMs: row.next_attempt_at ? row.next_attempt_at.getTime() : null,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The only writer of `destinations`. Reads a row, lets the pure rules of
 * destination-rules.ts decide, and writes the result under the row's lock, so that
 * replicas sharing the database never lose each other's updates.
 */
@Injectable()
export class DestinationStore {
  /** Per destination, the ack being recorded now (see `recordAttempt`). */
  private readonly acking = new Map<string, Promise<StateChange>>();

  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async get(serverId: string): Promise<DestinationState | undefined> {
    const row = await this.row(serverId);
    return row ? toState(row) : undefined;
  }

  /** States of the given destinations (those with no row are absent: healthy). */
  async states(serverIds: string[]): Promise<Map<string, DestinationState>> {
    if (serverIds.length === 0) return new Map();
    const rows: DestinationRow[] = await this.db.query(
      'SELECT * FROM destinations WHERE server_id = ANY($1::text[])',
      [serverIds],
    );
    return new Map(rows.map((r) => [r.server_id, toState(r)]));
  }

  /**
   * Applies an attempt's outcome (breaker rules); answers the change if the state changed.
   * `pageRetryAtMs`: when the attempt's page goes again, if it does (`afterAttempt`).
   *
   * Acks of one destination that end while an earlier ack of it is being recorded here join
   * that one (they happened at the same time): it leaves the destination healthy with its
   * last success now, after which they would change nothing. So a busy destination costs
   * one read per batch of acks, not one per page, and never a queue of transactions
   * waiting for its row's lock. A joined ack answers no change.
   */
  async recordAttempt(
    serverId: string,
    signal: AttemptSignal,
    error: string | null,
    nowMs: number,
    policy: BreakerPolicy,
    pageRetryAtMs?: number,
  ): Promise<StateChange> {
    if (signal !== 'ack')
      return this.applyAttempt(serverId, signal, error, nowMs, policy, pageRetryAtMs);
    const running = this.acking.get(serverId);
    if (running !== undefined) {
      const joined = await running.catch(() => undefined);
      if (joined !== undefined && joined.after.state === 'healthy')
        return { serverId, before: joined.after, after: joined.after };
    }
    const recording = this.applyAttempt(serverId, signal, error, nowMs, policy);
    this.acking.set(serverId, recording);
    try {
      return await recording;
    } finally {
      if (this.acking.get(serverId) === recording) this.acking.delete(serverId);
    }
  }

  private applyAttempt(
    serverId: string,
    signal: AttemptSignal,
    error: string | null,
    nowMs: number,
    policy: BreakerPolicy,
    pageRetryAtMs?: number,
  ): Promise<StateChange> {
    return this.change(serverId, nowMs, (current) => {
      const next = afterAttempt(current, signal, error, nowMs, policy, pageRetryAtMs);
      const quietSuccess =
        signal === 'ack' &&
        current.state === next.state &&
        current.consecutiveFailures === 0 &&
        current.lastSuccessMs !== null &&
        nowMs - current.lastSuccessMs < SUCCESS_WRITE_INTERVAL_MS;
      return quietSuccess ? current : next;
    });
  }

  /** Operator stop / resume. */
  setDelivery(
    serverId: string,
    wanted: { state: 'stopped'; reason: string } | { state: 'active' },
    nowMs: number,
  ): Promise<StateChange> {
    return this.change(serverId, nowMs, (current) => afterOperator(current, wanted, nowMs));
  }

  /** Operator retry: probe now, backoff reset. */
  retryNow(serverId: string, nowMs: number): Promise<StateChange> {
    return this.change(serverId, nowMs, (current) => afterRetryNow(current, nowMs));
  }

  /**
   * A sign of life of `serverId` (a verified inbound page): an unreachable destination is
   * probed at once. Answers whether a probe was brought forward. One indexed UPDATE that
   * touches nothing for a destination that is not unreachable.
   */
  signOfLife(serverId: string, nowMs: number): Promise<boolean> {
    return this.signsOfLife.submit({ serverId, nowMs });
  }

  /**
   * Signs of life that arrive together are applied by one UPDATE (a busy sender sends one
   * per inbound page); each caller's statement still starts after its call. Of several of one
   * server in a batch, the first is answered as the one that brought the probe forward.
   */
  private readonly signsOfLife = new Batcher<{ serverId: string; nowMs: number }, boolean>(
    async (items) => {
      const earliest = new Map<string, number>();
      for (const i of items)
        earliest.set(i.serverId, Math.min(i.nowMs, earliest.get(i.serverId) ?? i.nowMs));
      const [rows] = (await this.db.query(
        `UPDATE destinations d SET next_attempt_at = v.now, version = version + 1
         FROM unnest($1::text[], $2::timestamptz[]) AS v(server_id, now)
         WHERE d.server_id = v.server_id AND d.state = 'unreachable' AND d.next_attempt_at > v.now
         RETURNING d.server_id`,
        [[...earliest.keys()], [...earliest.values()].map((ms) => new Date(ms))],
      )) as [{ server_id: string }[], number];
      const brought = new Set(rows.map((r) => r.server_id));
      return items.map((i) => brought.delete(i.serverId));
    },
    { maxBatch: 256, maxRunning: 2 },
  );

  /**
   * Unreachable destinations whose probe is due, each given to exactly one caller (over all
   * replicas): its next probe is pushed to `leaseEndMs` while this one runs.
   */
  async claimProbes(nowMs: number, leaseEndMs: number, limit = 32): Promise<string[]> {
    const [rows] = (await this.db.query(
      `UPDATE destinations d SET next_attempt_at = $2, version = version + 1
       FROM (SELECT server_id FROM destinations WHERE state = 'unreachable' AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
       WHERE d.server_id = due.server_id RETURNING d.server_id`,
      [new Date(nowMs), new Date(leaseEndMs), limit],
    )) as [{ server_id: string }[], number];
    return rows.map((r) => r.server_id);
  }

  /** How many destinations are in each state: the `adapter_destinations` gauge. */
  async countByState(): Promise<Record<DestinationStateName, number>> {
    const rows: { state: DestinationStateName; n: number }[] = await this.db.query(
      'SELECT state, count(*)::integer AS n FROM destinations GROUP BY state',
    );
    const counts: Record<DestinationStateName, number> = {
      healthy: 0,
      backing_off: 0,
      unreachable: 0,
      stopped: 0,
    };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /**
   * Every destination (or those in `state`), with the counts of pages waiting and in flight.
   * A destination gets its row with its first attempt's outcome; one whose first pages are
   * still queued or in flight is listed too, as a new destination (`healthy` since its
   * oldest page was created), so that an operator sees it, e.g. while its first attempts
   * hang on a server that never answers.
   */
  async list(
    counts: Map<string, PageCounts>,
    state?: DestinationStateName,
  ): Promise<DestinationView[]> {
    const rows: DestinationRow[] = await this.db.query(
      `SELECT * FROM destinations WHERE ($1::text IS NULL OR state = $1) ORDER BY server_id LIMIT 10000`,
      [state ?? null],
    );
    const views = rows.map((r) => this.view(r.server_id, toState(r), counts.get(r.server_id)));
    if (state !== undefined && state !== 'healthy') return views;
    const known = new Set(
      state === undefined
        ? rows.map((r) => r.server_id)
        : (await this.db.query('SELECT server_id FROM destinations')).map(
            (r: { server_id: string }) => r.server_id,
          ),
    );
    for (const [serverId, pages] of counts)
      if (!known.has(serverId))
        views.push(this.view(serverId, newDestination(pages.firstPageMs), pages));
    return views;
  }

  /** One destination as `list` shows it; undefined when it has no row and no pending page. */
  async one(
    serverId: string,
    counts: PageCounts | undefined,
  ): Promise<DestinationView | undefined> {
    const row = await this.row(serverId);
    if (row) return this.view(serverId, toState(row), counts);
    return counts ? this.view(serverId, newDestination(counts.firstPageMs), counts) : undefined;
  }

  private view(
    serverId: string,
    s: DestinationState,
    counts: { waiting: number; inFlight: number } | undefined,
  ): DestinationView {
    return {
      server_id: serverId,
      state: s.state,
      reason: s.reason,
      since: new Date(s.sinceMs).toISOString(),
      last_success_at: iso(s.lastSuccessMs),
      last_error: s.lastError,
      next_attempt_at: iso(s.nextAttemptMs),
      pages_waiting: counts?.waiting ?? 0,
      pages_in_flight: counts?.inFlight ?? 0,
      consecutive_failures: s.consecutiveFailures,
    };
  }

  private async row(serverId: string): Promise<DestinationRow | undefined> {
    const rows: DestinationRow[] = await this.db.query(
      'SELECT * FROM destinations WHERE server_id = $1',
      [serverId],
    );
    return rows[0];
  }

  /**
   * Read, decide, write if changed. The common case (nothing to write, e.g. another ack of a
   * healthy destination) is one plain read; a change takes the row's lock in a transaction,
   * so that concurrent attempts of all replicas apply one after the other.
   */
  private async change(
    serverId: string,
    nowMs: number,
    decide: (current: DestinationState) => DestinationState,
  ): Promise<StateChange> {
    const seen = await this.row(serverId);
    if (seen) {
      const before = toState(seen);
      const after = decide(before);
      if (after === before) return { serverId, before, after };
    }
    return this.db.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO destinations (server_id, state, since) VALUES ($1, 'healthy', $2)
         ON CONFLICT (server_id) DO NOTHING`,
        [serverId, new Date(nowMs)],
      );
      const rows: DestinationRow[] = await manager.query(
        'SELECT * FROM destinations WHERE server_id = $1 FOR UPDATE',
        [serverId],
      );
      const before = toState(rows[0]);
      const after = decide(before);
      if (after !== before)
        await manager.query(
          `UPDATE destinations SET state = $2, reason = $3, since = $4, consecutive_failures = $5,
             last_success_at = $6, last_error = $7, next_attempt_at = $8, version = version + 1
           WHERE server_id = $1`,
          [
            serverId,
            after.state,
            after.reason,
            new Date(after.sinceMs),
            after.consecutiveFailures,
            after.lastSuccessMs === null ? null : new Date(after.lastSuccessMs),
            after.lastError,
            after.nextAttemptMs === null ? null : new Date(after.nextAttemptMs),
          ],
        );
      return { serverId, before, after };
    });
  }
}
