/**
 * The simulator on 200 servers, through the same `simulate` that `npm run sim:gossip` runs:
 * the exchange steps, tables and neighbour choice are the library's own, so this fails if
 * the core stops converging. Bounds are generous (log2 of 200 is under 8); the figures for
 * 100 to 10,000 servers are in docs/benchmarks.md.
 */
import { simulate, SimulationOptions } from './simulation';

const base: Omit<SimulationOptions, 'scenario' | 'schedule' | 'seed'> = { servers: 200 };

describe('simulated network of 200 servers on the real core', () => {
  it.each([1, 2, 3])('converges from a cold start in lockstep rounds (seed %i)', (seed) => {
    const result = simulate({ ...base, seed, scenario: 'cold', schedule: 'lockstep' });
    expect(result.converged).toBe(true);
    expect(result.rounds).toBeLessThanOrEqual(25);
    expect(result.exchanges).toBeGreaterThan(0);
  });

  it('spreads a joining server to everyone within 12 lockstep rounds', () => {
    const result = simulate({ ...base, seed: 4, scenario: 'join', schedule: 'lockstep' });
    expect(result.converged).toBe(true);
    expect(result.rounds).toBeLessThanOrEqual(12);
  });

  it('spreads a refreshed announcement to everyone on the asynchronous schedule', () => {
    const result = simulate({ ...base, seed: 5, scenario: 'refresh', schedule: 'async' });
    expect(result.converged).toBe(true);
    // Simulated time, not wall time: about 30-35 s per round.
    expect(result.simulatedMs).toBeLessThanOrEqual(15 * 35_000);
    expect(result.simulatedMs).toBeGreaterThan(0);
  });

  it('still converges with a fifth of the servers down and 5 % of messages lost', () => {
    const result = simulate({
      ...base,
      seed: 6,
      scenario: 'join',
      schedule: 'lockstep',
      down: 0.2,
      loss: 0.05,
    });
    expect(result.converged).toBe(true);
    expect(result.rounds).toBeLessThanOrEqual(20);
  });

  it('measures a steady-state exchange as one gossip and one in_sync reply', () => {
    const result = simulate({ ...base, seed: 7, scenario: 'refresh', schedule: 'lockstep' });
    // The gossip envelope carries 64 bucket hashes (64 × 67 bytes) and the own announcement.
    expect(result.steadyBytesPerExchange).toBeGreaterThan(64 * 67);
    expect(result.steadyBytesPerExchange).toBeLessThan(8_000);
    expect(result.bytesPerExchange).toBeGreaterThan(result.steadyBytesPerExchange as number);
  });

  it('replays the same run from the same seed', () => {
    const run = () => simulate({ ...base, seed: 8, scenario: 'join', schedule: 'async' });
    expect(run()).toEqual(run());
  });

  it('reports a run that cannot converge (every server but the bootstrap down)', () => {
    const result = simulate({
      servers: 20,
      seed: 9,
      scenario: 'cold',
      schedule: 'lockstep',
      down: 1,
      maxRounds: 5,
    });
    // Only the bootstrap is up: it holds itself, so the network of one live server converges.
    expect(result.converged).toBe(true);
    const lossy = simulate({
      servers: 50,
      seed: 9,
      scenario: 'cold',
      schedule: 'lockstep',
      loss: 1,
      maxRounds: 5,
    });
    expect(lossy.converged).toBe(false);
    expect(lossy.rounds).toBe(5);
  });
});
