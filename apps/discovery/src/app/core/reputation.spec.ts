import {
  RATE_LIMIT_VIOLATION_REASON,
  computeScore,
  counterForReport,
  ReputationInput,
} from './reputation';

const clean: ReputationInput = {
  reports: 0,
  rateLimitViolations: 0,
  keyConflicts: 0,
  invalidAnnouncements: 0,
  blocked: false,
};

const score = (overrides: Partial<ReputationInput>): number =>
  computeScore({ ...clean, ...overrides });

describe('computeScore', () => {
  it('gives 100 to a server with a clean record', () => {
    expect(score({})).toBe(100);
  });

  it('gives 0 to a blocked server, however clean its record', () => {
    expect(score({ blocked: true })).toBe(0);
  });

  it('takes 5 points per report', () => {
    expect(score({ reports: 3 })).toBe(85);
  });

  it('takes 2 points per rate-limit violation', () => {
    expect(score({ rateLimitViolations: 4 })).toBe(92);
  });

  it('takes 20 points per key conflict', () => {
    expect(score({ keyConflicts: 2 })).toBe(60);
  });

  it('takes 1 point per full 10 invalid announcements', () => {
    expect(score({ invalidAnnouncements: 29 })).toBe(98);
  });

  it('ignores fewer than 10 invalid announcements', () => {
    expect(score({ invalidAnnouncements: 9 })).toBe(100);
  });

  it('adds the penalties up', () => {
    expect(
      score({ reports: 1, rateLimitViolations: 1, keyConflicts: 1, invalidAnnouncements: 10 }),
    ).toBe(72);
  });

  it('never goes below 0', () => {
    expect(score({ keyConflicts: 50 })).toBe(0);
  });

  it('treats negative or non-numeric counts as zero', () => {
    expect(score({ reports: -10, rateLimitViolations: Number.NaN })).toBe(100);
  });

  it('always gives an integer', () => {
    expect(Number.isInteger(score({ reports: 1.5, invalidAnnouncements: 15 }))).toBe(true);
  });
});

describe('counterForReport', () => {
  it('counts a rate_limit_violation report as a rate-limit violation', () => {
    expect(RATE_LIMIT_VIOLATION_REASON).toBe('rate_limit_violation');
    expect(counterForReport('rate_limit_violation')).toBe('rate_limit_violations');
  });

  it.each(['spam', 'rate_limit', 'rate_limit_violations', 'Rate_Limit_Violation', ''])(
    'counts %j as a report',
    (reason) => {
      expect(counterForReport(reason)).toBe('reports');
    },
  );

  it('weighs a reported violation 2 points, a report 5', () => {
    expect(score({ rateLimitViolations: 1 })).toBe(98);
    expect(score({ reports: 1 })).toBe(95);
  });
});
