/**
 * Who to gossip with (PROTOCOL.md section 3, "Schedule"). Randomness is injected as
 * `rng: () => number` returning values in [0, 1), like Math.random, so a simulator can replay
 * a run from a seed.
 */

export type Rng = () => number;

/**
 * The servers neighbours may be drawn from, without listing them: a daemon or a simulated
 * server with 10,000 known servers must not copy its table every round to pick one.
 * `sample` returns a uniformly chosen member (it may be one the caller then rejects).
 */
export interface CandidateSource {
  readonly size: number;
  has(serverId: string): boolean;
  sample(rng: Rng): string;
  /** Every member, for the rare round where sampling keeps hitting excluded ones. */
  list(): Iterable<string>;
}

export interface NeighbourInput {
  /** This round's neighbours before the change. */
  current: string[];
  /**
   * Known, live, unblocked servers other than this one; the caller filters (a `self`, if
   * given, is excluded here too). A plain list may repeat ids.
   */
  candidates: readonly string[] | CandidateSource;
  /** Neighbours that failed to answer since the last round. */
  unresponsive: string[];
  /** Wanted number of active neighbours (NEIGHBOR_COUNT, 5 to 10). */
  target: number;
  rng: Rng;
  /** This server's own id, never a neighbour (for sources that contain it, e.g. the table). */
  self?: string;
}

/** A uniform index in [0, length); tolerates an rng that returns 1. */
function randomIndex(length: number, rng: Rng): number {
  return Math.min(length - 1, Math.floor(rng() * length));
}

/** A `CandidateSource` over a list (duplicates removed). */
export function candidatesFromList(ids: readonly string[]): CandidateSource {
  const unique = [...new Set(ids)];
  const set = new Set(unique);
  return {
    size: unique.length,
    has: (id) => set.has(id),
    sample: (rng) => unique[randomIndex(unique.length, rng)],
    list: () => unique,
  };
}

/** Sampling attempts before falling back to listing the whole source. */
const SAMPLE_ATTEMPTS = 48;

/**
 * Draws a random member of `source` not in `excluded`, or null when there is none. Expected
 * O(1) while most members are allowed; O(size) only when sampling keeps failing (a small
 * source mostly excluded, or an rng stuck on one value).
 */
function drawAllowed(source: CandidateSource, excluded: Set<string>, rng: Rng): string | null {
  if (source.size === 0) return null;
  for (let attempt = 0; attempt < SAMPLE_ATTEMPTS; attempt++) {
    const id = source.sample(rng);
    if (!excluded.has(id)) return id;
  }
  const pool: string[] = [];
  for (const id of source.list()) if (!excluded.has(id)) pool.push(id);
  return pool.length === 0 ? null : pool[randomIndex(pool.length, rng)];
}

/**
 * The neighbours for the next round (PROTOCOL.md section 3, "Schedule").
 *
 * 1. Keep the current neighbours that are still candidates and answered; duplicates go.
 * 2. If the target shrank below what is kept, drop random ones down to it.
 * 3. Fill up to `target` with random non-neighbour candidates, while any remain.
 * 4. Swap exactly one retained neighbour (chosen at random) for a random candidate that is
 *    still not a neighbour, when such a candidate exists. Every round, whatever else
 *    happened: this is what keeps any server, a bootstrap one least of all, from staying a
 *    hub forever. When every candidate already is a neighbour there is nothing to swap.
 *
 * A server found unresponsive is not picked again in the same round (neither by the swap nor
 * by the fill), even if that leaves us below target; it is a candidate again next round if
 * the caller still lists it. The result lists kept neighbours first, in their old order (the
 * swapped-in one takes the place of the swapped-out one), then the new ones. Cost: O(target)
 * expected with a large `CandidateSource`, O(candidates) with a list.
 */
export function chooseNeighbours(input: NeighbourInput): string[] {
  const { rng } = input;
  const target = Math.max(0, Math.floor(input.target));
  const source = Array.isArray(input.candidates)
    ? candidatesFromList(input.candidates as readonly string[])
    : (input.candidates as CandidateSource);
  const excluded = new Set(input.unresponsive);
  if (input.self !== undefined) excluded.add(input.self);

  const kept = [...new Set(input.current)].filter((id) => source.has(id) && !excluded.has(id));
  while (kept.length > target) kept.splice(randomIndex(kept.length, rng), 1);
  for (const id of kept) excluded.add(id);

  const retained = kept.length;
  while (kept.length < target) {
    const next = drawAllowed(source, excluded, rng);
    if (next === null) break;
    kept.push(next);
    excluded.add(next);
  }

  if (retained > 0) {
    const swapIn = drawAllowed(source, excluded, rng);
    if (swapIn !== null) kept[randomIndex(retained, rng)] = swapIn;
  }
  return kept;
}

/** The neighbour to start this round's exchange with, or null when there is none. */
export function pickGossipPartner(neighbours: readonly string[], rng: Rng): string | null {
  if (neighbours.length === 0) return null;
  return neighbours[randomIndex(neighbours.length, rng)];
}

/**
 * Delay before the next exchange: `interval + U(0, jitter)` in whole milliseconds, both ends
 * included, so that servers started together drift apart instead of gossiping in lockstep.
 */
export function nextGossipDelayMs(intervalMs: number, jitterMs: number, rng: Rng): number {
  const base = Math.max(0, Math.floor(intervalMs));
  const spread = Math.max(0, Math.floor(jitterMs));
  return base + Math.min(spread, Math.floor(rng() * (spread + 1)));
}
