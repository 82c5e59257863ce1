import {
  HeldEntry,
  TableBoundPolicy,
  chooseEviction,
  decideAdmission,
  recordRelayed,
  relayedThisHour,
} from './table-bound';

const POLICY: TableBoundPolicy = { maxKnownServers: 100, relayedPerNeighbourPerHour: 10 };
const T0 = 1_700_000_000_000;

describe(decideAdmission.name, () => {
  const input = { origin: 'relay' as const, relayedThisHour: 0, tableSize: 50, evictable: 'x' };

  it('admits while there is room and the neighbour has quota', () => {
    expect(decideAdmission(input, POLICY)).toEqual({ admit: true });
  });

  it('refuses a relayed server once its neighbour introduced 10 this hour', () => {
    expect(decideAdmission({ ...input, relayedThisHour: 10 }, POLICY)).toEqual({
      admit: false,
      reason: 'neighbour_quota',
    });
  });

  it('does not charge direct or requested servers to a neighbour quota', () => {
    for (const origin of ['direct', 'requested'] as const) {
      expect(decideAdmission({ ...input, origin, relayedThisHour: 99 }, POLICY)).toEqual({
        admit: true,
      });
    }
  });

  it('refuses a relayed server when the table is full, keeping what it holds', () => {
    expect(decideAdmission({ ...input, tableSize: 100 }, POLICY)).toEqual({
      admit: false,
      reason: 'table_full',
    });
  });

  it('lets a direct or requested server replace the least valuable entry of a full table', () => {
    expect(decideAdmission({ ...input, origin: 'direct', tableSize: 100 }, POLICY)).toEqual({
      admit: true,
      evict: 'x',
    });
    expect(
      decideAdmission({ ...input, origin: 'requested', tableSize: 100, evictable: null }, POLICY),
    ).toEqual({ admit: false, reason: 'table_full' });
  });
});

describe(chooseEviction.name, () => {
  const entry = (serverId: string, over: Partial<HeldEntry> = {}): HeldEntry => ({
    serverId,
    receivedAtMs: T0,
    origin: 'relay',
    contactedByUsers: false,
    neighbour: false,
    ...over,
  });

  it('drops relayed before requested before direct, the oldest first', () => {
    expect(
      chooseEviction(
        [
          entry('direct-old', { origin: 'direct', receivedAtMs: 1 }),
          entry('requested-old', { origin: 'requested', receivedAtMs: 1 }),
          entry('relay-new', { receivedAtMs: T0 + 5 }),
          entry('relay-old', { receivedAtMs: T0 - 5 }),
        ],
        'self',
      ),
    ).toBe('relay-old');
    expect(
      chooseEviction(
        [entry('d', { origin: 'direct' }), entry('r', { origin: 'requested' })],
        'self',
      ),
    ).toBe('r');
  });

  it('never drops a server our users contacted, a neighbour or ourselves', () => {
    expect(
      chooseEviction(
        [
          entry('contacted', { contactedByUsers: true, receivedAtMs: 0 }),
          entry('neighbour', { neighbour: true, receivedAtMs: 0 }),
          entry('self', { receivedAtMs: 0 }),
        ],
        'self',
      ),
    ).toBeNull();
  });
});

describe('relay windows', () => {
  it('counts per neighbour within an hour and starts over after it', () => {
    let windows = recordRelayed(new Map(), 'n1', T0);
    windows = recordRelayed(windows, 'n1', T0 + 1_000);
    windows = recordRelayed(windows, 'n2', T0 + 2_000);
    expect(relayedThisHour(windows, 'n1', T0 + 3_000)).toBe(2);
    expect(relayedThisHour(windows, 'n2', T0 + 3_000)).toBe(1);
    expect(relayedThisHour(windows, 'n1', T0 + 3_600_000)).toBe(0);
    windows = recordRelayed(windows, 'n1', T0 + 3_600_000);
    expect(windows.get('n1')).toEqual({ startMs: T0 + 3_600_000, count: 1 });
    expect(windows.has('n2')).toBe(true);
  });
});
