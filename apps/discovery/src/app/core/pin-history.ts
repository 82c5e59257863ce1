import { canonicalize } from '@pager/protocol';
import { hash } from 'node:crypto';

/**
 * The pin history (docs/protocol.md §14): one global, append-only, hash-chained log of every
 * pin, rotation, key conflict and operator "forget". Each entry carries the SHA-256 of the
 * previous one, so that an edited, removed or re-ordered row breaks the chain from there on.
 * Pure: hashing and verification over plain data; the pin store does the I/O.
 */

export type PinHistoryEvent = 'pinned' | 'rotated' | 'conflict' | 'forgotten';
export const PIN_HISTORY_EVENTS: readonly PinHistoryEvent[] = [
  'pinned',
  'rotated',
  'conflict',
  'forgotten',
];

/** `prev_hash` of the first entry: 64 zeros. */
export const PIN_HISTORY_GENESIS = '0'.repeat(64);

/** An entry before it is chained. */
export interface PinHistoryFields {
  server_id: string;
  event: PinHistoryEvent;
  /** pinned, rotated: the key now pinned; conflict: the key refused; forgotten: the key dropped (null when only pending confirmations were). */
  fingerprint: string | null;
  /** rotated: the key pinned before; conflict: the pinned key, or the other key the paths brought. */
  previous_fingerprint: string | null;
  /** The paths (`direct` or a relaying server id, comma-separated, sorted) or `operator`. */
  source: string;
  /** conflict: pinned_key_differs, forged_rotation or paths_disagree; otherwise null. */
  reason: string | null;
  /** RFC 3339 UTC with milliseconds, exactly as hashed. */
  at: string;
}

export interface PinHistoryEntry extends PinHistoryFields {
  /** 1, 2, 3, ... without gaps. */
  seq: number;
  prev_hash: string;
  hash: string;
}

/**
 * Lowercase hex SHA-256 of the RFC 8785 canonical form of the entry without its own `hash`
 * (so `seq` and `prev_hash` are covered).
 */
export function pinHistoryHash(entry: Omit<PinHistoryEntry, 'hash'>): string {
  const covered = {
    seq: entry.seq,
    server_id: entry.server_id,
    event: entry.event,
    fingerprint: entry.fingerprint,
    previous_fingerprint: entry.previous_fingerprint,
    source: entry.source,
    reason: entry.reason,
    at: entry.at,
    prev_hash: entry.prev_hash,
  };
  return hash('sha256', canonicalize(covered), 'hex');
}

/** The entry that follows `head` (null: the chain is empty). */
export function chainEntry(
  head: PinHistoryEntry | null,
  fields: PinHistoryFields,
): PinHistoryEntry {
  const unhashed = {
    ...fields,
    seq: head === null ? 1 : head.seq + 1,
    prev_hash: head === null ? PIN_HISTORY_GENESIS : head.hash,
  };
  return { ...unhashed, hash: pinHistoryHash(unhashed) };
}

export type ChainCheck =
  | { ok: true; head: PinHistoryEntry | null; length: number }
  | {
      ok: false;
      /** seq of the first entry that does not fit (or the seq expected where a gap is). */
      brokenAt: number;
      reason: 'seq' | 'prev_hash' | 'hash';
      length: number;
    };

/**
 * Checks a stretch of the chain in seq order, continuing from `head` (null: from the start).
 * Feed it page by page, passing the previous page's `head`. Never throws.
 */
export function verifyChain(
  entries: readonly PinHistoryEntry[],
  head: PinHistoryEntry | null = null,
): ChainCheck {
  let previous = head;
  let length = head?.seq ?? 0;
  for (const entry of entries) {
    const expectedSeq = previous === null ? 1 : previous.seq + 1;
    if (entry.seq !== expectedSeq)
      return { ok: false, brokenAt: expectedSeq, reason: 'seq', length };
    const expectedPrev = previous === null ? PIN_HISTORY_GENESIS : previous.hash;
    if (entry.prev_hash !== expectedPrev) {
      return { ok: false, brokenAt: entry.seq, reason: 'prev_hash', length };
    }
    if (pinHistoryHash(entry) !== entry.hash) {
      return { ok: false, brokenAt: entry.seq, reason: 'hash', length };
    }
    previous = entry;
    length = entry.seq;
  }
  return { ok: true, head: previous, length };
}
