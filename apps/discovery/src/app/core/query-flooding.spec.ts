import {
  decideQuery,
  forwardedMaxHops,
  forwardTargets,
  isFresh,
  NEGATIVE_CACHE_TTL_MS,
  pruneSeen,
  QueryInput,
  SEEN_QUERY_TTL_MS,
} from './query-flooding';

function decide(overrides: Partial<QueryInput>): string {
  return decideQuery({
    domain: 'other.example',
    maxHops: 5,
    queryId: 'QUERY-0123456789ABCDEF',
    self: 'me.example',
    knowsDomain: false,
    seenRecently: false,
    negativeCached: false,
    ...overrides,
  });
}

describe('decideQuery', () => {
  it('answers when it knows the domain', () => {
    expect(decide({ knowsDomain: true })).toBe('answer');
  });

  it('answers when it knows the domain even if the query id was seen and no hops are left', () => {
    expect(
      decide({ knowsDomain: true, seenRecently: true, negativeCached: true, maxHops: 1 }),
    ).toBe('answer');
  });

  it('answers a query for its own server id', () => {
    expect(decide({ domain: 'me.example', seenRecently: true })).toBe('answer');
  });

  it('answers found:false at once for a query id seen recently', () => {
    expect(decide({ seenRecently: true })).toBe('already_seen');
  });

  it('puts a seen query id before the negative cache', () => {
    expect(decide({ seenRecently: true, negativeCached: true })).toBe('already_seen');
  });

  it('answers from the negative cache without forwarding', () => {
    expect(decide({ negativeCached: true })).toBe('negative');
  });

  it('forwards an unknown domain while more than one hop is left', () => {
    expect(decide({ maxHops: 2 })).toBe('forward');
  });

  it('reports not found when the last hop is reached', () => {
    expect(decide({ maxHops: 1 })).toBe('not_found');
  });
});

describe('forwardTargets', () => {
  it('forwards to every neighbour except the sender, the requester and itself', () => {
    expect(forwardTargets(['a', 'from', 'b', 'req', 'me', 'c'], 'from', 'req', 'me')).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('lists a neighbour once even if given twice', () => {
    expect(forwardTargets(['a', 'a'], 'x', 'y', 'z')).toEqual(['a']);
  });

  it('is empty when the only neighbour is the sender', () => {
    expect(forwardTargets(['from'], 'from', 'req', 'me')).toEqual([]);
  });
});

describe('forwardedMaxHops', () => {
  it('is one less than the received max_hops', () => {
    expect(forwardedMaxHops(5)).toBe(4);
  });

  it('never goes below zero', () => {
    expect(forwardedMaxHops(0)).toBe(0);
  });
});

describe('isFresh', () => {
  const stamps = new Map([['QUERY-AAAAAAAA', 1_000]]);

  it('is true for a key stamped less than the ttl ago', () => {
    expect(
      isFresh(stamps, 'QUERY-AAAAAAAA', 1_000 + SEEN_QUERY_TTL_MS - 1, SEEN_QUERY_TTL_MS),
    ).toBe(true);
  });

  it('is false once the ttl has passed', () => {
    expect(isFresh(stamps, 'QUERY-AAAAAAAA', 1_000 + SEEN_QUERY_TTL_MS, SEEN_QUERY_TTL_MS)).toBe(
      false,
    );
  });

  it('is false for a key never stamped', () => {
    expect(isFresh(stamps, 'QUERY-BBBBBBBB', 1_000, SEEN_QUERY_TTL_MS)).toBe(false);
  });
});

describe('pruneSeen', () => {
  it('removes entries stamped the ttl or more ago and keeps younger ones', () => {
    const stamps = new Map([
      ['old', 0],
      ['edge', 40_000],
      ['young', 40_001],
    ]);
    expect(pruneSeen(stamps, 40_000 + NEGATIVE_CACHE_TTL_MS, NEGATIVE_CACHE_TTL_MS)).toBe(2);
    expect([...stamps.keys()]).toEqual(['young']);
  });

  it('removes nothing from a map of young entries', () => {
    const stamps = new Map([['a', 100]]);
    expect(pruneSeen(stamps, 200, SEEN_QUERY_TTL_MS)).toBe(0);
    expect(stamps.size).toBe(1);
  });
});

describe('the protocol constants', () => {
  it('remembers query ids for 10 minutes and unresolvable domains for 60 seconds', () => {
    expect([SEEN_QUERY_TTL_MS, NEGATIVE_CACHE_TTL_MS]).toEqual([600_000, 60_000]);
  });
});
