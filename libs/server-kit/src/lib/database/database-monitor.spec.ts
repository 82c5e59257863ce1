import { Registry } from 'prom-client';
import { DatabaseMonitor } from './database-monitor';

describe(DatabaseMonitor.name, () => {
  let now = 0;
  let databaseUp = false;
  const lines: string[] = [];
  let monitor: DatabaseMonitor;
  const registry = new Registry();

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000;
    databaseUp = false;
    lines.length = 0;
    monitor = new DatabaseMonitor({
      probe: async () => {
        if (!databaseUp) throw new Error('Connection terminated');
      },
      sink: (name) => lines.push(name),
      registry: new Registry(),
      probeIntervalMs: 1_000,
      quietMs: 5_000,
      now: () => now,
    });
  });
  afterEach(() => {
    monitor.close();
    jest.useRealTimers();
  });

  async function tick(ms: number) {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  }

  it('logs an outage once, and its end once the probe succeeds after a quiet period', async () => {
    for (let i = 0; i < 50; i++) monitor.failure('unavailable', new Error('ECONNREFUSED'));
    expect(lines).toEqual(['database.unavailable']);
    expect(monitor.down).toBe(true);
    await tick(3_000);
    databaseUp = true;
    await tick(1_000);
    expect(monitor.down).toBe(true); // 4 s since the last failure: not quiet yet
    await tick(2_000);
    expect(monitor.down).toBe(false);
    expect(lines).toEqual(['database.unavailable', 'database.recovered']);
  });

  it('a pool flapping at its limit is one outage, not one per failure', async () => {
    databaseUp = true;
    for (let i = 0; i < 10; i++) {
      monitor.failure('unavailable', new Error('timeout exceeded when trying to connect'));
      await tick(1_500);
    }
    await tick(6_000);
    expect(lines).toEqual(['database.unavailable', 'database.recovered']);
  });

  it('counts refused values without starting an outage', () => {
    monitor.failure('invalid_input', new Error('22P05'));
    expect(monitor.down).toBe(false);
    expect(lines).toEqual([]);
  });

  it('exposes its metrics', async () => {
    const m = new DatabaseMonitor({
      probe: async () => undefined,
      sink: () => undefined,
      registry,
    });
    m.failure('unavailable', new Error('x'));
    const text = await registry.metrics();
    m.close();
    expect(text).toContain('pager_database_errors_total{kind="unavailable"} 1');
    expect(text).toContain('pager_database_available 0');
  });
});
