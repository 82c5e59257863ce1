/**
 * The SYN/ACK/ACK2 exchange of PROTOCOL.md section 3 as pure steps over plain data. The
 * daemon (`GossipService`) and the simulator run these same steps; they differ only in how
 * the messages travel (signed HTTP envelopes or in-memory calls) and how an announcement is
 * checked before it is merged (signature, pin and endpoint policy in the daemon; nothing in
 * the simulator).
 *
 *   initiator                                   responder
 *   openExchange(table)        ── gossip ──▶    answerGossip(table, syn)
 *                              ◀── reply ──     (in_sync, or bucket_hashes + digest)
 *   planExchangePush(table, syn, reply)
 *                              ── push ───▶     answerPush(table, want)
 *                              ◀── push_reply ─
 *   mergeEntries(...) on each side with what arrived.
 */
import { MAX_ANNOUNCEMENTS_PER_ENVELOPE, differingBuckets } from '@pager/protocol';
import { GossipTable } from './gossip-table';
import {
  Digest,
  PeerEntry,
  PeerTable,
  PushPlan,
  buildTableDigest,
  digestForBuckets,
  mergeDecision,
  planPush,
  selectWanted,
} from './gossip-state';

/** What step 1 (`gossip`) carries besides the envelope and the own announcement. */
export interface GossipOpening {
  digestHash: string;
  bucketHashes: string[];
}

/** What the `gossip_reply` carries besides the envelope and the own announcement. */
export type GossipAnswer =
  | { inSync: true }
  | { inSync: false; bucketHashes: string[]; digest: Record<string, string> };

/** Step 1, initiator: the digest to send. Keep it: step 2 must compare against *these* hashes. */
export function openExchange(table: PeerTable): GossipOpening {
  const { digestHash, bucketHashes } = buildTableDigest(table);
  return { digestHash, bucketHashes };
}

/**
 * Step 1, responder: `in_sync` when the digest hashes match, else our bucket hashes and the
 * `digest` (server_id → timestamp) of every entry we hold in the buckets that differ.
 * `table` must already hold the initiator's own announcement if it was accepted.
 */
export function answerGossip(
  table: PeerTable,
  opening: GossipOpening,
  held: Digest = buildTableDigest(table),
): GossipAnswer {
  if (held.digestHash === opening.digestHash) return { inSync: true };
  return {
    inSync: false,
    bucketHashes: held.bucketHashes,
    digest: digestForBuckets(table, differingBuckets(opening.bucketHashes, held.bucketHashes)),
  };
}

/**
 * Step 2, initiator: what to push and what to want, or null when nothing is to be sent
 * (in sync, or the differences are all on entries we may not pass on). `opening` is what
 * step 1 sent.
 */
export function planExchangePush(
  table: PeerTable,
  opening: GossipOpening,
  answer: GossipAnswer,
  limit: number = MAX_ANNOUNCEMENTS_PER_ENVELOPE,
): PushPlan | null {
  if (answer.inSync) return null;
  const plan = planPush(table, opening.bucketHashes, answer.bucketHashes, answer.digest, limit);
  return plan.push.length === 0 && plan.want.length === 0 ? null : plan;
}

/** Step 2, responder: the wanted entries we hold, at most `limit`. */
export function answerPush(
  table: PeerTable,
  want: readonly string[],
  limit: number = MAX_ANNOUNCEMENTS_PER_ENVELOPE,
): PeerEntry[] {
  return selectWanted(table, [...want], limit);
}

/**
 * Merges verified entries into a table: newer timestamp replaces older, equal or older is
 * ignored (`mergeDecision`). Returns the server_ids inserted or replaced, in arrival order.
 */
export function mergeEntries(table: GossipTable, entries: Iterable<PeerEntry>): string[] {
  const changed: string[] = [];
  for (const entry of entries) {
    if (mergeDecision(table.get(entry.serverId), entry.timestampMs) === 'ignore') continue;
    table.set(entry);
    changed.push(entry.serverId);
  }
  return changed;
}
