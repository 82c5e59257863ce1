import { StateChangeLog } from './state-change-log';

function harness(intervalMs = 60_000, maxKeys?: number) {
  let now = 1_700_000_000_000;
  const lines: { name: string; fields: Record<string, unknown>; level: string }[] = [];
  const log = new StateChangeLog({
    failedEvent: 'x.down',
    recoveredEvent: 'x.up',
    summaryEvent: 'x.still_down',
    summaryIntervalMs: intervalMs,
    maxKeys,
    sink: (name, fields, level) => lines.push({ name, fields, level }),
    now: () => now,
  });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe(StateChangeLog.name, () => {
  it('logs the first failure of a key once, whatever the number of occurrences', () => {
    const { log, lines } = harness();
    for (let i = 0; i < 1_000; i++) log.fail('daemon', { error: 'ECONNREFUSED' });
    expect(lines).toEqual([
      { name: 'x.down', fields: { key: 'daemon', error: 'ECONNREFUSED' }, level: 'warn' },
    ]);
    expect(log.isFailing('daemon')).toBe(true);
  });

  it('summarises once per interval with the count since the last line', () => {
    const { log, lines, advance } = harness(60_000);
    log.fail('daemon');
    for (let i = 0; i < 99; i++) log.fail('daemon', { error: 'e' });
    advance(59_999);
    log.summarize();
    expect(lines).toHaveLength(1);
    advance(1);
    log.summarize();
    log.summarize();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      name: 'x.still_down',
      level: 'warn',
      fields: { key: 'daemon', error: 'e', count: 99, total: 100, duration_ms: 60_000 },
    });
    log.fail('daemon');
    advance(60_000);
    log.summarize();
    expect(lines[2].fields).toMatchObject({ count: 1, total: 101 });
  });

  it('logs the recovery once with the total and the duration, and forgets the key', () => {
    const { log, lines, advance } = harness();
    log.recover('db');
    expect(lines).toHaveLength(0);
    log.fail('db');
    log.fail('db');
    advance(4_200);
    log.recover('db');
    log.recover('db');
    expect(lines.map((l) => l.name)).toEqual(['x.down', 'x.up']);
    expect(lines[1]).toMatchObject({ level: 'info', fields: { total: 2, duration_ms: 4_200 } });
    log.fail('db');
    expect(lines.map((l) => l.name)).toEqual(['x.down', 'x.up', 'x.down']);
  });

  it('keeps keys apart: one line per destination that changes state', () => {
    const { log, lines } = harness();
    log.fail('a.example');
    log.fail('b.example');
    log.fail('a.example');
    log.recover('b.example');
    expect(lines.map((l) => `${l.name} ${l.fields.key}`)).toEqual([
      'x.down a.example',
      'x.down b.example',
      'x.up b.example',
    ]);
    expect(log.failingKeys()).toEqual(['a.example']);
  });

  it('bounds the tracked keys and counts the rest in the summary', () => {
    const { log, lines, advance } = harness(1_000, 2);
    for (const key of ['a', 'b', 'c', 'd', 'c']) log.fail(key);
    expect(log.failingKeys()).toEqual(['a', 'b']);
    advance(1_000);
    log.summarize();
    expect(lines.at(-1)).toMatchObject({ fields: { key: '(untracked)', count: 3 } });
  });
});
