import {
  formatProtocolTimestamp,
  isWithinSkew,
  isWithinWindow,
  parseProtocolTimestamp,
} from './time';

const FIVE_MINUTES = 5 * 60_000;

describe('parseProtocolTimestamp', () => {
  it.each([
    ['2025-10-15T10:30:00Z', Date.UTC(2025, 9, 15, 10, 30, 0)],
    ['2025-10-15T10:30:00.250Z', Date.UTC(2025, 9, 15, 10, 30, 0, 250)],
    ['2025-10-15T10:30:00.5Z', Date.UTC(2025, 9, 15, 10, 30, 0, 500)],
    ['2025-10-15T10:30:00.05Z', Date.UTC(2025, 9, 15, 10, 30, 0, 50)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
  ])('parses %s', (s, ms) => {
    expect(parseProtocolTimestamp(s)).toBe(ms);
  });

  it.each([
    ['no Z', '2025-10-15T10:30:00'],
    ['offset instead of Z', '2025-10-15T10:30:00+00:00'],
    ['lowercase z', '2025-10-15T10:30:00z'],
    ['space separator', '2025-10-15 10:30:00Z'],
    ['four fractional digits', '2025-10-15T10:30:00.2500Z'],
    ['empty fraction', '2025-10-15T10:30:00.Z'],
    ['no seconds', '2025-10-15T10:30Z'],
    ['February 30', '2025-02-30T10:30:00Z'],
    ['February 29 in a common year', '2025-02-29T10:30:00Z'],
    ['month 13', '2025-13-01T10:30:00Z'],
    ['hour 24', '2025-10-15T24:00:00Z'],
    ['leap second', '2016-12-31T23:59:60Z'],
    ['date only', '2025-10-15'],
    ['trailing newline', '2025-10-15T10:30:00Z\n'],
    ['epoch number as string', '1760524200000'],
    ['empty', ''],
  ])('refuses %s', (_why, s) => {
    expect(parseProtocolTimestamp(s)).toBeNull();
  });

  it('refuses non-strings', () => {
    expect(parseProtocolTimestamp(1760524200000 as unknown as string)).toBeNull();
  });
});

describe('formatProtocolTimestamp', () => {
  it('writes UTC with milliseconds and a Z, which parses back', () => {
    const ms = Date.UTC(2025, 9, 15, 10, 30, 0, 250);
    expect(formatProtocolTimestamp(ms)).toBe('2025-10-15T10:30:00.250Z');
    expect(parseProtocolTimestamp(formatProtocolTimestamp(ms))).toBe(ms);
  });
});

describe('isWithinSkew', () => {
  const now = Date.UTC(2025, 9, 15, 10, 35, 0);

  it('accepts a timestamp exactly 5 minutes behind or ahead', () => {
    expect(isWithinSkew('2025-10-15T10:30:00Z', now, FIVE_MINUTES)).toBe(true);
    expect(isWithinSkew('2025-10-15T10:40:00Z', now, FIVE_MINUTES)).toBe(true);
  });

  it('refuses a timestamp one millisecond past the window either way', () => {
    expect(isWithinSkew('2025-10-15T10:29:59.999Z', now, FIVE_MINUTES)).toBe(false);
    expect(isWithinSkew('2025-10-15T10:40:00.001Z', now, FIVE_MINUTES)).toBe(false);
  });

  it('refuses an invalid timestamp', () => {
    expect(isWithinSkew('yesterday', now, FIVE_MINUTES)).toBe(false);
  });
});

describe('isWithinWindow', () => {
  const now = Date.UTC(2025, 9, 15, 10, 0, 0);
  const DAY = 24 * 3_600_000;

  it('accepts an announcement up to 24 hours old and 5 minutes ahead', () => {
    expect(isWithinWindow('2025-10-14T10:00:00Z', now, FIVE_MINUTES, DAY)).toBe(true);
    expect(isWithinWindow('2025-10-15T10:05:00Z', now, FIVE_MINUTES, DAY)).toBe(true);
  });

  it('refuses one that is older or further ahead', () => {
    expect(isWithinWindow('2025-10-14T09:59:59Z', now, FIVE_MINUTES, DAY)).toBe(false);
    expect(isWithinWindow('2025-10-15T10:05:01Z', now, FIVE_MINUTES, DAY)).toBe(false);
  });
});
