import { Inject, Injectable, Optional } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { DataSource, EntityManager } from 'typeorm';
import {
  ChainCheck,
  PinConfirmation,
  PinDecision,
  PinHistoryEntry,
  PinHistoryFields,
  PinPath,
  RotationProof,
  chainEntry,
  decidePin,
  verifyChain,
} from '../core';
import { ChangeFeed } from '../database/change-feed';
import { GenerationCache } from '../database/change-generations';
import { PinRecord } from './pin.entity';

export interface Pin {
  serverId: string;
  fingerprint: string;
  publicKey: string;
  /** The key the last rotation moved the pin away from, and when (null before any rotation). */
  previous?: { fingerprint: string; publicKey: string; rotatedAtMs: number } | null;
}

/** A verified announcement's key, brought by `path`, for `PinStore.settle`. */
export interface KeyArrival {
  serverId: string;
  fingerprint: string;
  publicKey: string;
  path: PinPath;
  /** `direct`, or a relay by a server we have pinned (core/pin-decision.ts). */
  pathEstablished: boolean;
  /** PIN_CONFIRMATIONS. */
  required: number;
  /** A bootstrap server of the operator's configuration, fetched directly. */
  trustAnchor?: boolean;
  /** The announcement (kept with a pending confirmation; stored as the peer once pinned). */
  announcement: Record<string, unknown>;
  timestampMs: number;
  /** How the announcement's rotation_signature stands against a pinned key (its PEM). */
  rotationAgainst(pinnedPublicKey: string): RotationProof;
}

/** What `settle` did: the decision, and whether a pin history entry was appended. */
export interface Settlement {
  decision: PinDecision;
  logged: boolean;
}

/** A server not pinned yet, as `GET /api/v1/pins` lists it. */
export interface PendingPin {
  server_id: string;
  /** Each fingerprint seen with the paths that brought it; two or more: a key conflict. */
  keys: { fingerprint: string; paths: string[] }[];
  state: 'pending' | 'conflict';
  first_seen: string;
  last_seen: string;
}

/**
 * A server whose key awaits confirmations (PIN_CONFIRMATIONS > 1, docs/protocol.md §14)
 * and whose paths all brought that one key: its newest announcement held with them.
 */
export interface PendingPeer {
  serverId: string;
  fingerprint: string;
  announcement: Record<string, unknown>;
  /** The announcement's timestamp (ms since the epoch). */
  timestampMs: number;
}

export interface PinView {
  server_id: string;
  fingerprint: string;
  pinned_at: string;
  updated_at: string;
}

/** Conflict entries for one server: at most one a minute, and one per refused key between pins. */
export const CONFLICT_LOG_INTERVAL_MS = 60_000;
const HISTORY_PAGE = 1_000;

interface HistoryRow {
  seq: string;
  server_id: string;
  event: PinHistoryEntry['event'];
  fingerprint: string | null;
  previous_fingerprint: string | null;
  source: string;
  reason: string | null;
  at: string;
  prev_hash: string;
  hash: string;
}

/** Pins kept in memory at most (10,000 servers' worth and more; then the cache is refilled). */
const PIN_CACHE_ENTRIES = 20_000;

/**
 * Owner of `pins`, `pin_confirmations` and `pin_history` (docs/protocol.md §2 pinning and
 * rotation, §14 careful first contact and pin history). Every change of a pin, its pending
 * confirmations and its history entry happen in one transaction that holds the server's
 * advisory lock (one decision per server at a time across replicas), and appends to the
 * global chain hold the chain's lock, so that seq and prev_hash never fork.
 */
@Injectable()
export class PinStore {
  /** Pins (and their absence) read at the current generation of `pins` (change feed). */
  private readonly cache = new GenerationCache<Pin | null>(PIN_CACHE_ENTRIES);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional()
    @Inject(ChangeFeed)
    private readonly feed?: Pick<ChangeFeed, 'generation' | 'changed'>,
  ) {}

  /**
   * The pin of one server, or null. It runs for every envelope verified (twice per steady
   * gossip round): while the change feed listens, answered from pins read at the current
   * generation of `pins`, which any change of a pin moves on (this replica's settle or forget
   * at once, another replica's by its NOTIFY at commit); otherwise, and on a miss, a plain
   * SELECT (cheaper in CPU than TypeORM's repository).
   */
  async get(serverId: string): Promise<Pin | null> {
    const generation = this.feed?.generation('pins') ?? null;
    const hit = this.cache.get(generation, serverId);
    if (hit !== undefined) return hit.value;
    const pin = await this.read(serverId);
    this.cache.set(generation, this.feed?.generation('pins') ?? null, serverId, pin);
    return pin;
  }

  private async read(serverId: string): Promise<Pin | null> {
    const rows: {
      fingerprint: string;
      public_key: string;
      previous_fingerprint: string | null;
      previous_public_key: string | null;
      rotated_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT fingerprint, public_key, previous_fingerprint, previous_public_key, rotated_at
       FROM pins WHERE server_id = $1`,
      [serverId],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : {
          serverId,
          fingerprint: row.fingerprint,
          publicKey: row.public_key,
          previous:
            row.previous_fingerprint !== null &&
            row.previous_public_key !== null &&
            row.rotated_at !== null
              ? {
                  fingerprint: row.previous_fingerprint,
                  publicKey: row.previous_public_key,
                  rotatedAtMs: row.rotated_at.getTime(),
                }
              : null,
        };
  }

  /**
   * Decides (core `decidePin`) and applies what a verified key does to its server's pin:
   * keep, first pin (after PIN_CONFIRMATIONS paths), a pending confirmation, a rotation, or a
   * key conflict; pins, rotations and conflicts are appended to the history. Atomic across
   * replicas.
   */
  async settle(arrival: KeyArrival, nowMs: number = Date.now()): Promise<Settlement> {
    try {
      return await this.settleInTransaction(arrival, nowMs);
    } finally {
      // Committed (or rolled back): cached pins are read again.
      this.feed?.changed('pins');
    }
  }

  private settleInTransaction(arrival: KeyArrival, nowMs: number): Promise<Settlement> {
    return this.dataSource.transaction(async (tx) => {
      await lockServer(tx, arrival.serverId);
      const pinRows: { fingerprint: string; public_key: string }[] = await tx.query(
        'SELECT fingerprint, public_key FROM pins WHERE server_id = $1',
        [arrival.serverId],
      );
      const pin = pinRows[0] ?? null;
      const confirmations: PinConfirmation[] =
        pin === null
          ? await tx.query('SELECT fingerprint, path FROM pin_confirmations WHERE server_id = $1', [
              arrival.serverId,
            ])
          : [];
      const decision = decidePin({
        pinned: pin?.fingerprint ?? null,
        confirmations,
        incoming: {
          fingerprint: arrival.fingerprint,
          path: arrival.path,
          rotation:
            pin === null || pin.fingerprint === arrival.fingerprint
              ? 'absent'
              : arrival.rotationAgainst(pin.public_key),
          pathEstablished: arrival.pathEstablished,
        },
        required: arrival.required,
        trustAnchor: arrival.trustAnchor,
      });
      const at = new Date(nowMs).toISOString();
      const base = { server_id: arrival.serverId, at, reason: null };
      switch (decision.kind) {
        case 'keep':
        case 'unconfirmed':
          return { decision, logged: false };
        case 'pending':
          await recordConfirmation(tx, arrival);
          return { decision, logged: false };
        case 'pin':
          await tx.query(
            `INSERT INTO pins (server_id, fingerprint, public_key, pinned_at, updated_at)
             VALUES ($1, $2, $3, now(), now())`,
            [arrival.serverId, arrival.fingerprint, arrival.publicKey],
          );
          await tx.query('DELETE FROM pin_confirmations WHERE server_id = $1', [arrival.serverId]);
          await append(tx, {
            ...base,
            event: 'pinned',
            fingerprint: arrival.fingerprint,
            previous_fingerprint: null,
            source: decision.paths.join(','),
          });
          return { decision, logged: true };
        case 'rotate':
          await tx.query(
            `UPDATE pins SET fingerprint = $2, public_key = $3, updated_at = now(),
               previous_fingerprint = fingerprint, previous_public_key = public_key,
               rotated_at = now()
             WHERE server_id = $1`,
            [arrival.serverId, arrival.fingerprint, arrival.publicKey],
          );
          await append(tx, {
            ...base,
            event: 'rotated',
            fingerprint: arrival.fingerprint,
            previous_fingerprint: decision.from,
            source: arrival.path,
          });
          return { decision, logged: true };
        case 'conflict': {
          if (decision.reason === 'paths_disagree' && decision.newPath) {
            await recordConfirmation(tx, arrival);
          }
          const other =
            decision.fingerprints.find((f) => f !== arrival.fingerprint) ?? pin?.fingerprint;
          const logged = await appendConflict(tx, nowMs, {
            ...base,
            event: 'conflict',
            fingerprint: arrival.fingerprint,
            previous_fingerprint: other ?? null,
            source: arrival.path,
            reason: decision.reason,
          });
          return { decision, logged };
        }
      }
    });
  }

  /**
   * Records a key conflict found outside the intake (an envelope whose sender brings another
   * key than its pin: `401 key_mismatch`). True when a history entry was appended (at most
   * one a minute per server, one per refused key between two pin changes).
   */
  async recordConflict(
    serverId: string,
    refusedFingerprint: string,
    pinnedFingerprint: string,
    source: string,
    reason: 'pinned_key_differs' | 'forged_rotation',
    nowMs: number = Date.now(),
  ): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      await lockServer(tx, serverId);
      return appendConflict(tx, nowMs, {
        server_id: serverId,
        event: 'conflict',
        fingerprint: refusedFingerprint,
        previous_fingerprint: pinnedFingerprint,
        source,
        reason,
        at: new Date(nowMs).toISOString(),
      });
    });
  }

  /**
   * `DELETE /api/v1/pins/{server_id}`: drops the pin and any pending confirmations (a
   * conflict among them included) and appends `forgotten`.
   * @throws ProtocolError not_found when neither a pin nor a confirmation exists.
   */
  async forget(serverId: string, nowMs: number = Date.now()): Promise<void> {
    try {
      await this.forgetInTransaction(serverId, nowMs);
    } finally {
      this.feed?.changed('pins');
    }
  }

  private async forgetInTransaction(serverId: string, nowMs: number): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await lockServer(tx, serverId);
      const [pins]: [{ fingerprint: string }[], number] = await tx.query(
        'DELETE FROM pins WHERE server_id = $1 RETURNING fingerprint',
        [serverId],
      );
      const [pending]: [{ fingerprint: string }[], number] = await tx.query(
        'DELETE FROM pin_confirmations WHERE server_id = $1 RETURNING fingerprint',
        [serverId],
      );
      if (pins.length === 0 && pending.length === 0) {
        throw new ProtocolError('not_found', `no key is pinned or pending for ${serverId}`);
      }
      const others = [...new Set(pending.map((p) => p.fingerprint))].sort();
      await append(tx, {
        server_id: serverId,
        event: 'forgotten',
        fingerprint: pins[0]?.fingerprint ?? others[0] ?? null,
        previous_fingerprint: pins.length === 0 ? (others[1] ?? null) : null,
        source: 'operator',
        reason: null,
        at: new Date(nowMs).toISOString(),
      });
    });
  }

  /** Whether the server has pending confirmations (no pin yet, or a conflict among paths). */
  async isPending(serverId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      'SELECT 1 FROM pin_confirmations WHERE server_id = $1 LIMIT 1',
      [serverId],
    );
    return rows.length > 0;
  }

  /** The pinned servers, in server_id order. */
  async pins(): Promise<PinView[]> {
    const rows = await this.dataSource
      .getRepository(PinRecord)
      .find({ order: { serverId: 'ASC' } });
    return rows.map((r) => ({
      server_id: r.serverId,
      fingerprint: r.fingerprint,
      pinned_at: r.pinnedAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
    }));
  }

  /** The servers not pinned yet, with the keys and paths seen, in server_id order. */
  async pending(): Promise<PendingPin[]> {
    const rows: {
      server_id: string;
      fingerprint: string;
      paths: string[];
      first_seen: Date;
      last_seen: Date;
    }[] = await this.dataSource.query(
      `SELECT server_id, fingerprint, array_agg(path ORDER BY path) AS paths,
              min(first_seen) AS first_seen, max(last_seen) AS last_seen
       FROM pin_confirmations GROUP BY server_id, fingerprint
       ORDER BY server_id COLLATE "C", fingerprint`,
    );
    const byServer = new Map<string, PendingPin>();
    for (const row of rows) {
      let entry = byServer.get(row.server_id);
      if (entry === undefined) {
        entry = {
          server_id: row.server_id,
          keys: [],
          state: 'pending',
          first_seen: row.first_seen.toISOString(),
          last_seen: row.last_seen.toISOString(),
        };
        byServer.set(row.server_id, entry);
      }
      entry.keys.push({ fingerprint: row.fingerprint, paths: row.paths });
      if (entry.keys.length > 1) entry.state = 'conflict';
      if (row.first_seen.toISOString() < entry.first_seen) {
        entry.first_seen = row.first_seen.toISOString();
      }
      if (row.last_seen.toISOString() > entry.last_seen) {
        entry.last_seen = row.last_seen.toISOString();
      }
    }
    return [...byServer.values()];
  }

  /**
   * The servers not pinned yet whose paths all brought one key (state `pending`, not
   * `conflict`), each with the newest announcement held for it, for
   * `GET /api/v1/peers?pin=pending`. In no particular order.
   */
  async pendingPeers(): Promise<PendingPeer[]> {
    const rows: {
      server_id: string;
      fingerprint: string;
      announcement: Record<string, unknown>;
      timestamp_ms: string;
    }[] = await this.dataSource.query(
      `SELECT DISTINCT ON (server_id) server_id, fingerprint, announcement, timestamp_ms
       FROM pin_confirmations
       WHERE server_id IN (SELECT server_id FROM pin_confirmations
                           GROUP BY server_id HAVING count(DISTINCT fingerprint) = 1)
       ORDER BY server_id, timestamp_ms DESC`,
    );
    return rows.map((row) => ({
      serverId: row.server_id,
      fingerprint: row.fingerprint,
      announcement: row.announcement,
      timestampMs: Number(row.timestamp_ms),
    }));
  }

  /** Drops confirmations not seen again since `cutoffMs` (the announcement lifetime); their ids. */
  async prunePending(cutoffMs: number): Promise<string[]> {
    const [rows]: [{ server_id: string }[], number] = await this.dataSource.query(
      'DELETE FROM pin_confirmations WHERE last_seen < $1 RETURNING server_id',
      [new Date(cutoffMs)],
    );
    return [...new Set(rows.map((r) => r.server_id))].sort();
  }

  /** The history entries of one server, oldest first (empty when it never had one). */
  async history(serverId: string): Promise<PinHistoryEntry[]> {
    const rows: HistoryRow[] = await this.dataSource.query(
      'SELECT * FROM pin_history WHERE server_id = $1 ORDER BY seq',
      [serverId],
    );
    return rows.map(toEntry);
  }

  /** Verifies the whole chain, page by page in seq order (core `verifyChain`). */
  async verifyChain(): Promise<ChainCheck> {
    let head: PinHistoryEntry | null = null;
    for (;;) {
      const rows: HistoryRow[] = await this.dataSource.query(
        'SELECT * FROM pin_history WHERE seq > $1 ORDER BY seq LIMIT $2',
        [head?.seq ?? 0, HISTORY_PAGE],
      );
      const check = verifyChain(rows.map(toEntry), head);
      if (!check.ok || rows.length < HISTORY_PAGE) return check;
      head = check.head;
    }
  }
}

/** One decision per server at a time, across replicas (released at commit). */
async function lockServer(tx: EntityManager, serverId: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.pin:' || $1))", [
    serverId,
  ]);
}

async function recordConfirmation(tx: EntityManager, arrival: KeyArrival): Promise<void> {
  await tx.query(
    `INSERT INTO pin_confirmations
       (server_id, path, fingerprint, public_key, announcement, timestamp_ms)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6)
     ON CONFLICT (server_id, path, fingerprint) DO UPDATE SET last_seen = now(),
       announcement = CASE WHEN EXCLUDED.timestamp_ms > pin_confirmations.timestamp_ms
                      THEN EXCLUDED.announcement ELSE pin_confirmations.announcement END,
       timestamp_ms = GREATEST(EXCLUDED.timestamp_ms, pin_confirmations.timestamp_ms)`,
    [
      arrival.serverId,
      arrival.path,
      arrival.fingerprint,
      arrival.publicKey,
      JSON.stringify(arrival.announcement),
      arrival.timestampMs,
    ],
  );
}

/** Appends to the global chain under its lock, in the caller's transaction. */
async function append(tx: EntityManager, fields: PinHistoryFields): Promise<PinHistoryEntry> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.pin_history'))");
  const rows: HistoryRow[] = await tx.query('SELECT * FROM pin_history ORDER BY seq DESC LIMIT 1');
  const entry = chainEntry(rows.length === 0 ? null : toEntry(rows[0]), fields);
  await tx.query(
    `INSERT INTO pin_history
       (seq, server_id, event, fingerprint, previous_fingerprint, source, reason, at, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      entry.seq,
      entry.server_id,
      entry.event,
      entry.fingerprint,
      entry.previous_fingerprint,
      entry.source,
      entry.reason,
      entry.at,
      entry.prev_hash,
      entry.hash,
    ],
  );
  return entry;
}

/**
 * Appends a conflict unless the server had one less than a minute ago, or this key was
 * already refused since the server's last pin, rotation or forget: a forger re-sending
 * with fresh timestamps fills the reputation count, not the history.
 */
async function appendConflict(
  tx: EntityManager,
  nowMs: number,
  fields: PinHistoryFields,
): Promise<boolean> {
  const recent: { fingerprint: string | null; at: string }[] = await tx.query(
    `SELECT fingerprint, at FROM pin_history
     WHERE server_id = $1 AND event = 'conflict' AND seq > COALESCE(
       (SELECT max(seq) FROM pin_history WHERE server_id = $1 AND event <> 'conflict'), 0)`,
    [fields.server_id],
  );
  const tooSoon = recent.some((r) => nowMs - Date.parse(r.at) < CONFLICT_LOG_INTERVAL_MS);
  if (tooSoon || recent.some((r) => r.fingerprint === fields.fingerprint)) return false;
  await append(tx, fields);
  return true;
}

function toEntry(row: HistoryRow): PinHistoryEntry {
  return {
    seq: Number(row.seq),
    server_id: row.server_id,
    event: row.event,
    fingerprint: row.fingerprint,
    previous_fingerprint: row.previous_fingerprint,
    source: row.source,
    reason: row.reason,
    at: row.at,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
