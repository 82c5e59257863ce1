import { exchangeDeadlineMs, housekeepingPeriodMs, replyBytes } from './gossip.service';

describe('replyBytes', () => {
  it('takes the Content-Length of the reply', () => {
    expect(replyBytes({ headers: { 'content-length': '412' }, data: { in_sync: true } })).toBe(412);
  });

  it('re-serialises the parsed body when there is no Content-Length (chunked)', () => {
    expect(replyBytes({ headers: {}, data: { a: 'é' } })).toBe(Buffer.byteLength('{"a":"é"}'));
  });

  it('counts a body left as text as it is', () => {
    expect(replyBytes({ headers: {}, data: 'not json' })).toBe(8);
  });
});

describe('exchangeDeadlineMs', () => {
  it('is half the interval, between 250 ms and 10 s', () => {
    expect([100, 1_000, 30_000, 3_600_000].map(exchangeDeadlineMs)).toEqual([
      250, 500, 10_000, 10_000,
    ]);
  });
});

describe('housekeepingPeriodMs', () => {
  it('is a tenth of the announcement TTL, at most 10 s', () => {
    expect([60_000, 100_000, 86_400_000].map(housekeepingPeriodMs)).toEqual([
      6_000, 10_000, 10_000,
    ]);
  });
});
