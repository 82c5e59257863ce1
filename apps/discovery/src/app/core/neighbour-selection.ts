/**
 * Who to gossip with (docs/protocol.md §7, "Schedule"). Randomness is injected as
 * `rng: () => number` returning values in [0, 1), like Math.random, so a simulator can replay
 * a run from a seed.
 */

export type Rng = () => number;

export interface NeighbourInput {
  /** This round's neighbours before the change. */
  current: string[];
  /** Known, live, unblocked servers other than this one; the caller filters. */
  candidates: string[];
  /** Neighbours that failed to answer since the last round. */
  unresponsive: string[];
  /** Wanted number of active neighbours (NEIGHBOR_COUNT, 5 to 10). */
  target: number;
  rng: Rng;
}

/** A uniform index in [0, length); tolerates an rng that returns 1. */
function randomIndex(length: number, rng: Rng): number {
  return Math.min(length - 1, Math.floor(rng() * length));
}

/** Removes and returns a uniformly chosen element of `pool`. */
function takeRandom(pool: string[], rng: Rng): string {
  const i = randomIndex(pool.length, rng);
  const [taken] = pool.splice(i, 1);
  return taken;
}

/**
 * The neighbours for the next round.
 *
 * 1. Keep the current neighbours that are still candidates and answered; duplicates go.
 * 2. If the target shrank below what is kept, drop random ones down to it.
 * 3. Fill up to `min(target, candidates)` with random non-neighbour candidates.
 * 4. Swap exactly one retained neighbour (chosen at random) for a random candidate that is
 *    still not a neighbour, when such a candidate exists. Every round, whatever else
 *    happened: this is what keeps any server, a bootstrap one least of all, from staying a
 *    hub forever. When every candidate already is a neighbour there is nothing to swap.
 *
 * A server found unresponsive is not picked again in the same round (neither by the swap nor
 * by the fill), even if that leaves us below target; it is a candidate again next round if
 * the caller still lists it. The result lists kept neighbours first, in their old order (the
 * swapped-in one takes the place of the swapped-out one), then the new ones.
 */
export function chooseNeighbours(input: NeighbourInput): string[] {
  const { rng } = input;
  const target = Math.max(0, Math.floor(input.target));
  const unresponsive = new Set(input.unresponsive);
  const candidates = [...new Set(input.candidates)];
  const candidateSet = new Set(candidates);

  const kept = [...new Set(input.current)].filter(
    (id) => candidateSet.has(id) && !unresponsive.has(id),
  );
  while (kept.length > target) kept.splice(randomIndex(kept.length, rng), 1);

  const neighbours = new Set(kept);
  const pool = candidates.filter((id) => !neighbours.has(id) && !unresponsive.has(id));

  const retained = kept.length;
  const wanted = Math.min(target, candidates.length);
  while (kept.length < wanted && pool.length > 0) kept.push(takeRandom(pool, rng));

  if (retained > 0 && pool.length > 0) {
    kept[randomIndex(retained, rng)] = takeRandom(pool, rng);
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
