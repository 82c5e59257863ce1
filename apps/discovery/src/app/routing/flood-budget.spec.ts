import {
  EMPTY_FLOOD_BUDGET,
  FloodBudgetPolicy,
  FloodBudgetState,
  decideFlood,
  recordFlood,
} from './flood-budget';

const POLICY: FloodBudgetPolicy = { perClientPerMinute: 2, perMinute: 5, perHour: 25 };
const T0 = 1_700_000_000_000;

/** Asks for `n` floods by `client` at `atMs`, recording the allowed ones; returns the state and count. */
function ask(state: FloodBudgetState, client: string, atMs: number, n: number) {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    if (decideFlood(state, client, atMs, POLICY).allowed) {
      state = recordFlood(state, client, atMs);
      allowed++;
    }
  }
  return { state, allowed };
}

describe(decideFlood.name, () => {
  it('allows a client its per-minute floods, then refuses it with the time until one frees', () => {
    let state = recordFlood(EMPTY_FLOOD_BUDGET, '203.0.113.7', T0);
    state = recordFlood(state, '203.0.113.7', T0 + 10_000);
    expect(decideFlood(state, '203.0.113.7', T0 + 20_000, POLICY)).toEqual({
      allowed: false,
      scope: 'client',
      retryAfterMs: 40_000,
    });
    expect(decideFlood(state, '203.0.113.7', T0 + 60_000, POLICY)).toEqual({ allowed: true });
  });

  it('500 invented domains from one address in one minute cost 2 floods', () => {
    expect(ask(EMPTY_FLOOD_BUDGET, '203.0.113.7', T0, 500).allowed).toBe(2);
  });

  it('does not let one client spend another one’s budget', () => {
    const { state } = ask(EMPTY_FLOOD_BUDGET, '203.0.113.7', T0, 10);
    expect(decideFlood(state, '198.51.100.1', T0, POLICY)).toEqual({ allowed: true });
  });

  it('bounds many clients together per minute', () => {
    let state = EMPTY_FLOOD_BUDGET;
    let allowed = 0;
    for (let c = 0; c < 100; c++) {
      const result = ask(state, `10.0.0.${c}`, T0, 2);
      state = result.state;
      allowed += result.allowed;
    }
    expect(allowed).toBe(5);
    expect(decideFlood(state, '10.0.1.1', T0 + 1, POLICY)).toMatchObject({
      allowed: false,
      scope: 'minute',
      retryAfterMs: 59_999,
    });
  });

  it('bounds them per hour, a quarter of a neighbour’s default query limit', () => {
    let state = EMPTY_FLOOD_BUDGET;
    let allowed = 0;
    // 100 clients spread over an hour, each asking 10 times at its minute.
    for (let minute = 0; minute < 60; minute++) {
      for (let c = 0; c < 100; c++) {
        const result = ask(state, `10.${minute}.0.${c}`, T0 + minute * 60_000, 10);
        state = result.state;
        allowed += result.allowed;
      }
    }
    expect(allowed).toBe(25);
    const refused = decideFlood(state, '192.0.2.1', T0 + 59 * 60_000, POLICY);
    expect(refused).toMatchObject({ allowed: false, scope: 'hour' });
    // The hour budget frees when its oldest flood is an hour old.
    expect(decideFlood(state, '192.0.2.1', T0 + 3_600_000, POLICY).allowed).toBe(true);
  });

  it('forgets floods older than an hour when recording', () => {
    let state = recordFlood(EMPTY_FLOOD_BUDGET, 'a', T0);
    state = recordFlood(state, 'b', T0 + 3_600_000);
    expect(state.floods).toEqual([{ atMs: T0 + 3_600_000, client: 'b' }]);
  });

  it('refuses everything with a zero budget', () => {
    expect(
      decideFlood(EMPTY_FLOOD_BUDGET, 'a', T0, { perClientPerMinute: 0, perMinute: 5, perHour: 5 }),
    ).toEqual({ allowed: false, scope: 'client', retryAfterMs: 60_000 });
  });
});
