import { DaemonHealthLog } from './daemon-health-log';

describe(DaemonHealthLog.name, () => {
  it('logs a change of state once, then one summary per interval with the count of pages', () => {
    const lines: [string, Record<string, unknown>][] = [];
    const log = new DaemonHealthLog(
      { event: (name, fields = {}) => lines.push([name, fields]) },
      1000,
    );
    for (let i = 0; i < 500; i++) log.unreachable('ECONNREFUSED', 10_000 + i);
    expect(lines.map(([name]) => name)).toEqual(['federation.daemon_unreachable']);
    log.unreachable('ECONNREFUSED', 11_000);
    expect(lines[1]).toEqual([
      'federation.daemon_still_unreachable',
      expect.objectContaining({ pages_postponed: 501 }),
    ]);
    log.reachable(12_000);
    log.reachable(12_001);
    expect(lines.slice(2)).toEqual([
      ['federation.daemon_reachable', { down_ms: 2000, pages_postponed: 501 }],
    ]);
    log.unreachable('timeout', 13_000);
    expect(lines).toHaveLength(4);
  });
});
