import type { Rng } from './neighbour-selection';

/**
 * A deterministic `Rng` (mulberry32) for simulations and tests: the same seed replays the
 * same neighbour choices, partners and delays.
 */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
