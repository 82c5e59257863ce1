import fc from 'fast-check';
import {
  DIRECT_PATH,
  PinConfirmation,
  PinDecisionInput,
  decidePin,
  pinPathOf,
} from './pin-decision';

const A = 'A'.repeat(64);
const B = 'B'.repeat(64);

const input = (overrides: Partial<PinDecisionInput> = {}): PinDecisionInput => ({
  pinned: null,
  confirmations: [],
  incoming: { fingerprint: A, path: 'n1.example', rotation: 'absent', pathEstablished: true },
  required: 2,
  ...overrides,
});
const incoming = (over: Partial<PinDecisionInput['incoming']>) => ({
  ...input().incoming,
  ...over,
});

describe('decidePin with a pin', () => {
  it('keeps the pin when the key is the pinned one', () => {
    expect(decidePin(input({ pinned: A }))).toEqual({ kind: 'keep' });
  });

  it('moves the pin on a valid rotation', () => {
    expect(decidePin(input({ pinned: B, incoming: incoming({ rotation: 'valid' }) }))).toEqual({
      kind: 'rotate',
      from: B,
    });
  });

  it('calls another key without rotation_signature a key conflict', () => {
    expect(decidePin(input({ pinned: B }))).toMatchObject({
      kind: 'conflict',
      reason: 'pinned_key_differs',
      fingerprints: [B, A],
    });
  });

  it('calls a rotation_signature that does not verify a forged rotation', () => {
    expect(
      decidePin(input({ pinned: B, incoming: incoming({ rotation: 'invalid' }) })),
    ).toMatchObject({ kind: 'conflict', reason: 'forged_rotation' });
  });

  it('refuses another key even by an unestablished path (the key is the offence, not the path)', () => {
    expect(
      decidePin(input({ pinned: B, incoming: incoming({ pathEstablished: false }) })).kind,
    ).toBe('conflict');
  });
});

describe('decidePin on first contact', () => {
  it('pins at once with PIN_CONFIRMATIONS=1 (plain trust on first use)', () => {
    expect(decidePin(input({ required: 1 }))).toEqual({ kind: 'pin', paths: ['n1.example'] });
  });

  it('stays pending after one path of two', () => {
    expect(decidePin(input())).toEqual({ kind: 'pending', paths: ['n1.example'], newPath: true });
  });

  it('pins once a second distinct path brings the same key', () => {
    const confirmations: PinConfirmation[] = [{ fingerprint: A, path: 'n1.example' }];
    expect(decidePin(input({ confirmations, incoming: incoming({ path: 'n2.example' }) }))).toEqual(
      {
        kind: 'pin',
        paths: ['n1.example', 'n2.example'],
      },
    );
  });

  it('counts the same neighbour twice once', () => {
    const confirmations: PinConfirmation[] = [{ fingerprint: A, path: 'n1.example' }];
    expect(decidePin(input({ confirmations }))).toEqual({
      kind: 'pending',
      paths: ['n1.example'],
      newPath: false,
    });
  });

  it('calls a path bringing another key a conflict and does not pin', () => {
    const confirmations: PinConfirmation[] = [{ fingerprint: B, path: 'n1.example' }];
    expect(
      decidePin(input({ confirmations, incoming: incoming({ path: 'n2.example' }), required: 1 })),
    ).toEqual({ kind: 'conflict', reason: 'paths_disagree', fingerprints: [A, B], newPath: true });
  });

  it('stays in conflict however many paths agree afterwards', () => {
    const confirmations: PinConfirmation[] = [
      { fingerprint: A, path: 'n1.example' },
      { fingerprint: B, path: 'n2.example' },
    ];
    const decision = decidePin(
      input({ confirmations, incoming: incoming({ path: 'n3.example' }) }),
    );
    expect(decision).toMatchObject({ kind: 'conflict', reason: 'paths_disagree' });
  });

  it('lets a relay by a server not pinned itself count for nothing', () => {
    expect(decidePin(input({ incoming: incoming({ pathEstablished: false }) }))).toEqual({
      kind: 'unconfirmed',
    });
  });

  it('pins an operator-configured bootstrap server at first contact whatever k', () => {
    const decision = decidePin(
      input({ required: 5, trustAnchor: true, incoming: incoming({ path: DIRECT_PATH }) }),
    );
    expect(decision).toEqual({ kind: 'pin', paths: [DIRECT_PATH] });
  });

  it('never pins a bootstrap server whose paths disagreed', () => {
    const confirmations: PinConfirmation[] = [{ fingerprint: B, path: 'n1.example' }];
    expect(decidePin(input({ confirmations, trustAnchor: true })).kind).toBe('conflict');
  });

  it('pins exactly when k distinct paths agree (any order, repeats included)', () => {
    const path = fc.constantFrom('direct', 'n1.example', 'n2.example', 'n3.example', 'n4.example');
    fc.assert(
      fc.property(fc.array(path, { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), (paths, k) => {
        const confirmations: PinConfirmation[] = [];
        let pinnedAt: number | null = null;
        paths.forEach((p, i) => {
          if (pinnedAt !== null) return;
          const d = decidePin(
            input({ confirmations, required: k, incoming: incoming({ path: p }) }),
          );
          if (d.kind === 'pin') pinnedAt = i;
          else if (d.kind === 'pending' && d.newPath)
            confirmations.push({ fingerprint: A, path: p });
        });
        const firstK = new Set<string>();
        let expected: number | null = null;
        paths.forEach((p, i) => {
          firstK.add(p);
          if (expected === null && firstK.size >= k) expected = i;
        });
        return pinnedAt === expected;
      }),
    );
  });

  it('never pins when two fingerprints were seen, whatever the order', () => {
    const copy = fc.record({
      fingerprint: fc.constantFrom(A, B),
      path: fc.constantFrom('direct', 'n1.example', 'n2.example'),
    });
    fc.assert(
      fc.property(fc.array(copy, { minLength: 1, maxLength: 10 }), (copies) => {
        const confirmations: PinConfirmation[] = [];
        for (const c of copies) {
          const d = decidePin(input({ confirmations, required: 3, incoming: incoming(c) }));
          if (d.kind === 'pin') {
            return new Set([...confirmations, c].map((x) => x.fingerprint)).size === 1;
          }
          if (d.kind !== 'unconfirmed') confirmations.push(c);
        }
        return true;
      }),
    );
  });
});

describe('pinPathOf', () => {
  it('is direct for our own fetch and for the server passing on its own announcement', () => {
    expect(pinPathOf('x.example', null)).toBe(DIRECT_PATH);
    expect(pinPathOf('x.example', 'x.example')).toBe(DIRECT_PATH);
  });

  it('is the relaying server otherwise', () => {
    expect(pinPathOf('x.example', 'n1.example')).toBe('n1.example');
  });
});
