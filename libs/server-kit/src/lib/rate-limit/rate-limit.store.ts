import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { RateLimitDecision, RateLimitState, consumeRateLimit } from './rate-limit';

interface RateLimitRow {
  window_start: Date;
  count: number;
  violations: number;
  blocked_until: Date;
}

interface PendingDecision {
  limitPerHour: number;
  nowMs: number | undefined;
  resolve(decision: RateLimitDecision): void;
  reject(err: unknown): void;
}

/** Keys whose last known state a `RateLimitStore` keeps for its compare-and-set. */
export const MAX_KNOWN_KEYS = 10_000;

/** The decisions of a batch, in arrival order, from `state` (`lockedAtMs` for those without a time). */
function applyBatch(
  state: RateLimitState,
  batch: PendingDecision[],
  lockedAtMs: number,
): { decisions: RateLimitDecision[]; state: RateLimitState } {
  const decisions = batch.map((pending) => {
    const decision = consumeRateLimit(state, pending.nowMs ?? lockedAtMs, pending.limitPerHour);
    state = decision.state;
    return decision;
  });
  return { decisions, state };
}

/** A state as the row's columns: window_start, count, violations, blocked_until. */
function stateColumns(state: RateLimitState): [Date, number, number, Date] {
  return [
    new Date(state.windowStartMs),
    state.count,
    state.violations,
    new Date(state.blockedUntilMs),
  ];
}

/**
 * Rate-limit state in PostgreSQL, so that the limit holds across replicas: decisions run
 * the pure `consumeRateLimit` on the row locked by an upsert (`INSERT … ON CONFLICT DO UPDATE`).
 *
 * All traffic of one busy sender hits one row, so row-at-a-time transactions would
 * serialise on its lock (≈100 decisions/s). Instead, the decisions that arrive for a key
 * while its transaction runs are queued and made together in the next one: one lock,
 * one read, one write per batch, each decision still applied in arrival order.
 *
 * One round trip per batch in the common case: the store remembers the state it last read
 * or wrote for a key and writes the batch's outcome with a compare-and-set (`UPDATE … WHERE`
 * every column still holds that state). If another replica (or a restart) changed the row
 * meanwhile, nothing is written and the batch is decided again under the row lock (BEGIN,
 * upsert, update, COMMIT), so every decision is still made on the row's current state.
 * A key the store holds no state of is first tried as a new row (`INSERT … ON CONFLICT DO
 * NOTHING` of the batch's outcome on a fresh window): one round trip for a sender seen for
 * the first time, the locked path only when the row existed already.
 * Remembers at most `MAX_KNOWN_KEYS` keys (the oldest are forgotten).
 */
export class RateLimitStore {
  private readonly queues = new Map<string, PendingDecision[]>();
  /** Per key, the state of its row as this store last read or wrote it. */
  private readonly known = new Map<string, RateLimitState>();

  constructor(private readonly dataSource: DataSource) {}

  consume(key: string, limitPerHour: number, nowMs?: number): Promise<RateLimitDecision> {
    return new Promise((resolve, reject) => {
      const queued = this.queues.get(key);
      const decision = { limitPerHour, nowMs, resolve, reject };
      if (queued !== undefined) {
        queued.push(decision);
        return;
      }
      this.queues.set(key, [decision]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    for (;;) {
      const batch = this.queues.get(key) ?? [];
      if (batch.length === 0) {
        this.queues.delete(key);
        return;
      }
      this.queues.set(key, []);
      try {
        const decisions = await this.decide(key, batch);
        batch.forEach((pending, i) => pending.resolve(decisions[i]));
      } catch (err) {
        for (const pending of batch) pending.reject(err);
      }
    }
  }

  private async decide(key: string, batch: PendingDecision[]): Promise<RateLimitDecision[]> {
    const known = this.known.get(key);
    if (known !== undefined) {
      const { decisions, state } = applyBatch(known, batch, Date.now());
      const [, written] = (await this.dataSource.query(
        `UPDATE rate_limits SET window_start = $6, count = $7, violations = $8, blocked_until = $9
         WHERE key = $1 AND window_start = $2 AND count = $3 AND violations = $4 AND blocked_until = $5`,
        [key, ...stateColumns(known), ...stateColumns(state)],
      )) as [unknown, number];
      if (written === 1) {
        this.remember(key, state);
        return decisions;
      }
      this.known.delete(key);
      return this.decideLocked(key, batch);
    }
    return (await this.decideFirst(key, batch)) ?? this.decideLocked(key, batch);
  }

  /**
   * A key this replica holds no state of: inserts the row as the batch leaves a fresh window
   * (what `decideLocked` would write for a new key), in one statement. Null when the row
   * exists already (another replica's, or ours from before a restart or an eviction).
   */
  private async decideFirst(
    key: string,
    batch: PendingDecision[],
  ): Promise<RateLimitDecision[] | null> {
    const fresh: RateLimitState = {
      windowStartMs: batch[0].nowMs ?? Date.now(),
      count: 0,
      violations: 0,
      blockedUntilMs: 0,
    };
    const { decisions, state } = applyBatch(fresh, batch, Date.now());
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO rate_limits (key, window_start, count, violations, blocked_until)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, ...stateColumns(state)],
    );
    if (rows.length === 0) return null;
    this.remember(key, state);
    return decisions;
  }

  private async decideLocked(key: string, batch: PendingDecision[]): Promise<RateLimitDecision[]> {
    const { decisions, state } = await this.dataSource.transaction(async (manager) => {
      const startMs = batch[0].nowMs ?? Date.now();
      // Creates the row if need be and locks it either way (the no-op DO UPDATE takes the
      // row lock, as SELECT … FOR UPDATE would), answering its current state: one round trip.
      const rows: RateLimitRow[] = await manager.query(
        `INSERT INTO rate_limits (key, window_start, count, violations, blocked_until)
         VALUES ($1, $2, 0, 0, 'epoch')
         ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
         RETURNING window_start, count, violations, blocked_until`,
        [key, new Date(startMs)],
      );
      const current: RateLimitState = {
        windowStartMs: rows[0].window_start.getTime(),
        count: rows[0].count,
        violations: rows[0].violations,
        blockedUntilMs: rows[0].blocked_until.getTime(),
      };
      const outcome = applyBatch(current, batch, Date.now());
      await manager.query(
        `UPDATE rate_limits SET window_start = $2, count = $3, violations = $4, blocked_until = $5
         WHERE key = $1`,
        [key, ...stateColumns(outcome.state)],
      );
      return outcome;
    });
    this.remember(key, state);
    return decisions;
  }

  private remember(key: string, state: RateLimitState): void {
    this.known.delete(key);
    this.known.set(key, state);
    if (this.known.size > MAX_KNOWN_KEYS) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }

  /** Violations recorded for keys starting with `prefix` (e.g. every limit of one server). */
  async violations(prefix: string): Promise<number> {
    const rows: { total: string | null }[] = await this.dataSource.query(
      `SELECT SUM(violations) AS total FROM rate_limits WHERE starts_with(key, $1)`,
      [prefix],
    );
    return Number(rows[0]?.total ?? 0);
  }
}

/** The `rate_limits` table; each service lists this migration in its own schema. */
export class CreateRateLimits1764100000000 implements MigrationInterface {
  name = 'CreateRateLimits1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        violations integer NOT NULL,
        blocked_until timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE rate_limits');
  }
}
