import { seededRng } from './seeded-rng';
import {
  chooseNeighbours,
  NeighbourInput,
  nextGossipDelayMs,
  pickGossipPartner,
} from './neighbour-selection';

const servers = (n: number, prefix = 's'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}.example`);

function choose(overrides: Partial<NeighbourInput>): string[] {
  return chooseNeighbours({
    current: [],
    candidates: [],
    unresponsive: [],
    target: 8,
    rng: seededRng(1),
    ...overrides,
  });
}

describe('chooseNeighbours', () => {
  it('fills an empty neighbour list up to the target from the candidates', () => {
    const next = choose({ candidates: servers(20) });
    expect(next).toHaveLength(8);
    expect(new Set(next).size).toBe(8);
    for (const id of next) expect(servers(20)).toContain(id);
  });

  it('takes every candidate when there are fewer candidates than the target', () => {
    expect(choose({ candidates: servers(3) }).sort()).toEqual(servers(3).sort());
  });

  it('returns nothing when there are no candidates', () => {
    expect(choose({ current: ['gone.example'], candidates: [] })).toEqual([]);
  });

  it('swaps exactly one neighbour each round when a non-neighbour candidate exists', () => {
    const current = servers(8);
    const next = choose({ current, candidates: servers(20) });
    expect(next).toHaveLength(8);
    expect(next.filter((id) => !current.includes(id))).toHaveLength(1);
    expect(current.filter((id) => !next.includes(id))).toHaveLength(1);
  });

  it('keeps every neighbour when all candidates already are neighbours', () => {
    const current = servers(5);
    expect(choose({ current, candidates: servers(5) })).toEqual(current);
  });

  it('drops unresponsive neighbours and replaces them with other candidates', () => {
    const current = servers(8);
    const next = choose({
      current,
      candidates: servers(20),
      unresponsive: ['s2.example', 's5.example'],
    });
    expect(next).toHaveLength(8);
    expect(next).not.toContain('s2.example');
    expect(next).not.toContain('s5.example');
  });

  it('does not pick an unresponsive server again in the same round, even below target', () => {
    const next = choose({
      current: servers(3),
      candidates: servers(3),
      unresponsive: ['s1.example'],
    });
    expect(next.sort()).toEqual(['s0.example', 's2.example']);
  });

  it('drops neighbours that are no longer candidates (expired, blocked)', () => {
    const next = choose({ current: ['blocked.example', ...servers(7)], candidates: servers(20) });
    expect(next).not.toContain('blocked.example');
    expect(next).toHaveLength(8);
  });

  it('still swaps one neighbour in a round that also replaced unresponsive ones', () => {
    const current = servers(8);
    const next = choose({ current, candidates: servers(30), unresponsive: ['s0.example'] });
    const keptOld = current.filter((id) => next.includes(id));
    expect(keptOld).toHaveLength(6);
  });

  it('shrinks to the target when the target is lowered', () => {
    expect(choose({ current: servers(10), candidates: servers(10), target: 5 })).toHaveLength(5);
  });

  it('never lists a neighbour twice, even from duplicated input', () => {
    const next = choose({
      current: ['s1.example', 's1.example'],
      candidates: [...servers(4), ...servers(4)],
    });
    expect(new Set(next).size).toBe(next.length);
    expect(next).toHaveLength(4);
  });

  it('gives the same neighbours for the same seed', () => {
    const input = { current: servers(8), candidates: servers(50) };
    expect(choose({ ...input, rng: seededRng(7) })).toEqual(
      choose({ ...input, rng: seededRng(7) }),
    );
  });

  it('tolerates an rng that returns 1', () => {
    const next = choose({ current: servers(8), candidates: servers(20), rng: () => 1 });
    expect(next).toHaveLength(8);
    expect(next.every((id) => typeof id === 'string')).toBe(true);
  });

  it('moves every server away from a bootstrap server everyone started with', () => {
    // 30 servers all start with the bootstrap as their only neighbour, then learn each other.
    const rng = seededRng(3);
    const all = servers(30);
    const bootstrap = 's0.example';
    let stillWithBootstrap = 0;
    for (const self of all.slice(1)) {
      let current = [bootstrap];
      const candidates = all.filter((id) => id !== self);
      for (let round = 0; round < 20; round++) {
        current = chooseNeighbours({ current, candidates, unresponsive: [], target: 8, rng });
      }
      if (current.includes(bootstrap)) stillWithBootstrap++;
    }
    // With 8 of 28 candidates, about 8/28 of servers hold any given one at random.
    expect(stillWithBootstrap).toBeLessThan(29 * 0.5);
  });
});

describe('pickGossipPartner', () => {
  it('returns null when there are no neighbours', () => {
    expect(pickGossipPartner([], seededRng(1))).toBeNull();
  });

  it('picks the neighbour at the position the rng points to', () => {
    expect(pickGossipPartner(['a', 'b', 'c', 'd'], () => 0.5)).toBe('c');
  });

  it('tolerates an rng that returns 1', () => {
    expect(pickGossipPartner(['a', 'b'], () => 1)).toBe('b');
  });

  it('picks every neighbour sometimes', () => {
    const rng = seededRng(9);
    const picked = new Set(Array.from({ length: 200 }, () => pickGossipPartner(servers(8), rng)));
    expect(picked.size).toBe(8);
  });
});

describe('nextGossipDelayMs', () => {
  it('is the interval when the rng gives 0', () => {
    expect(nextGossipDelayMs(30_000, 5_000, () => 0)).toBe(30_000);
  });

  it('is the interval plus the whole jitter when the rng gives almost 1', () => {
    expect(nextGossipDelayMs(30_000, 5_000, () => 0.9999999)).toBe(35_000);
  });

  it('never exceeds interval plus jitter, even if the rng returns 1', () => {
    expect(nextGossipDelayMs(30_000, 5_000, () => 1)).toBe(35_000);
  });

  it('is a whole number of milliseconds', () => {
    expect(Number.isInteger(nextGossipDelayMs(30_000, 5_000, () => 0.123456))).toBe(true);
  });

  it('is the interval alone when there is no jitter', () => {
    expect(nextGossipDelayMs(30_000, 0, () => 0.7)).toBe(30_000);
  });
});
