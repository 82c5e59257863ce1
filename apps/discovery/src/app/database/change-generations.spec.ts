import { ChangeGenerations, GenerationCache, watchedTableOf } from './change-generations';

describe('ChangeGenerations', () => {
  it('has no generation (no cache to trust) until live', () => {
    const g = new ChangeGenerations();
    expect(g.current('pins')).toBeNull();
    g.setLive(true);
    expect(g.current('pins')).not.toBeNull();
  });

  it('moves a table on when it changed, the others not', () => {
    const g = new ChangeGenerations();
    g.setLive(true);
    const pins = g.current('pins');
    const peers = g.current('peers');
    g.changed('pins');
    expect(g.current('pins')).not.toBe(pins);
    expect(g.current('peers')).toBe(peers);
  });

  it('moves every table on when the connection goes down and up again', () => {
    const g = new ChangeGenerations();
    g.setLive(true);
    const before = g.current('blocklist');
    g.setLive(false);
    expect(g.current('blocklist')).toBeNull();
    g.setLive(true);
    expect(g.current('blocklist')).not.toBe(before);
  });
});

describe('watchedTableOf', () => {
  it('takes the watched tables of its own schema only', () => {
    expect(watchedTableOf('d_a.pins', 'd_a')).toBe('pins');
    expect(watchedTableOf('d_a.peers', 'd_a')).toBe('peers');
    expect(watchedTableOf('d_b.pins', 'd_a')).toBeNull();
    expect(watchedTableOf('d_a.rate_limits', 'd_a')).toBeNull();
    expect(watchedTableOf(undefined, 'd_a')).toBeNull();
    expect(watchedTableOf('pins', 'd_a')).toBeNull();
  });
});

describe('GenerationCache', () => {
  it('answers what was stored at the same generation', () => {
    const cache = new GenerationCache<string | null>(10);
    cache.set(1, 1, 'a', 'A');
    cache.set(1, 1, 'none', null);
    expect(cache.get(1, 'a')).toEqual({ value: 'A' });
    expect(cache.get(1, 'none')).toEqual({ value: null });
    expect(cache.get(1, 'b')).toBeUndefined();
  });

  it('misses at another generation, and drops the old entries at the first store', () => {
    const cache = new GenerationCache<string>(10);
    cache.set(1, 1, 'a', 'A');
    expect(cache.get(2, 'a')).toBeUndefined();
    cache.set(2, 2, 'b', 'B');
    expect(cache.get(1, 'a')).toBeUndefined();
    expect(cache.get(2, 'b')).toEqual({ value: 'B' });
  });

  it('keeps nothing read while the generation moved on, or without a generation', () => {
    const cache = new GenerationCache<string>(10);
    cache.set(1, 2, 'a', 'stale');
    expect(cache.get(1, 'a')).toBeUndefined();
    expect(cache.get(2, 'a')).toBeUndefined();
    cache.set(null, null, 'a', 'A');
    expect(cache.get(null, 'a')).toBeUndefined();
  });

  it('holds at most maxEntries (then starts again)', () => {
    const cache = new GenerationCache<number>(2);
    cache.set(1, 1, 'a', 1);
    cache.set(1, 1, 'b', 2);
    cache.set(1, 1, 'c', 3);
    expect(cache.get(1, 'a')).toBeUndefined();
    expect(cache.get(1, 'c')).toEqual({ value: 3 });
  });
});
