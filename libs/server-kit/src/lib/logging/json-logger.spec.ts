import { JsonLogger } from './json-logger';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = new JsonLogger('adapter', level, (line) => lines.push(line));
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l)) };
}

describe(JsonLogger.name, () => {
  it('writes one JSON object per line with time, level, service and the event', () => {
    const { logger, lines, records } = capture();
    logger.event('federation.message_sent', { message_id: 'MSG-1', attempt: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [record] = records();
    expect(record).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'adapter',
      event: 'federation.message_sent',
      message_id: 'MSG-1',
      attempt: 1,
    });
    expect(lines[0]).toContain('"event":"federation.message_sent"');
  });

  it('filters by level and serves NestJS (framework narration at debug)', () => {
    const { logger, records } = capture('info');
    logger.debug('hidden');
    logger.log('Mapped {/x, GET} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.warn('careful');
    logger.error('broken', 'stack here', 'Ctx');
    logger.event('x.debug', {}, 'debug');
    expect(records().map((r) => [r.level, r.msg])).toEqual([
      ['info', 'Nest application successfully started'],
      ['warn', 'careful'],
      ['error', 'broken'],
    ]);
  });

  it('redacts secrets in events', () => {
    const { logger, lines } = capture();
    logger.event('daemon.call_failed', {
      authorization: 'Bearer 0123456789abcdef',
      error: 'connect postgres://pager:hunter2@db:5432/pager ECONNREFUSED',
    });
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('0123456789abcdef');
  });

  it('child loggers carry their fields on every line (a trace id)', () => {
    const { logger, records } = capture();
    const page = logger.child({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    page.event('federation.message_sent', { message_id: 'MSG-1' });
    page.event('federation.ack_received', { message_id: 'MSG-1' });
    logger.event('other');
    expect(records().map((r) => r.trace_id)).toEqual([
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      undefined,
    ]);
    expect(records()[0].service).toBe('adapter');
  });

  it('survives circular fields', () => {
    const { logger, lines } = capture();
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    logger.event('x', { circular });
    expect(lines).toHaveLength(1);
  });
});
