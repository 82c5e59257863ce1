import { JobFailureLog, jobFailureRoute } from './job-failure-log';

function harness(withDatabase = true) {
  let now = 1_700_000_000_000;
  const lines: { name: string; fields: Record<string, unknown>; level: string }[] = [];
  const database: unknown[] = [];
  const sut = new JobFailureLog({
    failedEvent: 'job.failed',
    summaryEvent: 'job.failed_summary',
    recoveredEvent: 'job.recovered',
    summaryIntervalMs: 60_000,
    sink: (name, fields, level) => lines.push({ name, fields, level }),
    database: withDatabase ? { failure: (_kind, err) => void database.push(err) } : undefined,
    now: () => now,
  });
  return { sut, lines, database, advance: (ms: number) => (now += ms) };
}

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
  code: 'ECONNREFUSED',
});
const bug = new TypeError("Cannot read properties of undefined (reading 'id')");

describe(jobFailureRoute.name, () => {
  it('sends a database outage to the database monitor', () => {
    expect(jobFailureRoute(refused)).toBe('database');
    expect(jobFailureRoute({ driverError: { code: '57P01' } })).toBe('database');
  });

  it("keeps anything else as the job's own failure", () => {
    expect(jobFailureRoute(bug)).toBe('job');
    expect(jobFailureRoute({ code: '22P02' })).toBe('job');
    expect(jobFailureRoute(undefined)).toBe('job');
  });
});

describe(JobFailureLog.name, () => {
  it('logs nothing itself for a database outage, however many polls fail', () => {
    const { sut, lines, database } = harness();
    for (let i = 0; i < 240; i++) sut.failed(refused);
    expect(lines).toEqual([]);
    expect(database).toHaveLength(240);
  });

  it('logs a database outage as its own failure when no monitor is given', () => {
    const { sut, lines } = harness(false);
    for (let i = 0; i < 240; i++) sut.failed(refused);
    expect(lines.map((l) => l.name)).toEqual(['job.failed']);
  });

  it('logs another failure once, a summary with the count each interval, and the recovery', () => {
    const { sut, lines, advance } = harness();
    for (let i = 0; i < 240; i++) sut.failed(bug);
    advance(60_000);
    sut.summarize();
    sut.summarize();
    sut.succeeded();
    sut.succeeded();
    expect(lines.map((l) => [l.name, l.level])).toEqual([
      ['job.failed', 'warn'],
      ['job.failed_summary', 'warn'],
      ['job.recovered', 'info'],
    ]);
    expect(lines[0].fields.error).toBe(bug.message);
    expect(lines[1].fields).toMatchObject({ count: 239, total: 240 });
    expect(lines[2].fields).toMatchObject({ total: 240, duration_ms: 60_000 });
  });

  it('logs nothing on success when nothing failed', () => {
    const { sut, lines } = harness();
    sut.succeeded();
    expect(lines).toEqual([]);
  });
});
