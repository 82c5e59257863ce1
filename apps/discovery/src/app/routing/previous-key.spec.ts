import { Route, withPreviousKey } from './routing.service';

const ROUTE: Route = {
  domain: 'c.example.com',
  server_id: 'c.example.com',
  endpoints: {},
  public_key: 'NEW PEM',
  fingerprint: 'aa'.repeat(32),
  source: 'cache',
};
const ROTATED_AT = Date.parse('2025-10-15T10:30:00Z');

describe(withPreviousKey.name, () => {
  it('names the key the pin moved away from when the pin holds the route key', () => {
    const sut = withPreviousKey(ROUTE, {
      serverId: 'c.example.com',
      fingerprint: 'aa'.repeat(32),
      publicKey: 'NEW PEM',
      previous: { fingerprint: 'bb'.repeat(32), publicKey: 'OLD PEM', rotatedAtMs: ROTATED_AT },
    });
    expect(sut.previous_key).toEqual({
      public_key: 'OLD PEM',
      fingerprint: 'bb'.repeat(32),
      rotated_at: '2025-10-15T10:30:00.000Z',
    });
  });

  it('names none when the pin never rotated', () => {
    const pin = { serverId: 'c.example.com', fingerprint: 'aa'.repeat(32), publicKey: 'NEW PEM' };
    expect(withPreviousKey(ROUTE, { ...pin, previous: null })).toEqual(ROUTE);
  });

  it('names none when the pin holds another key than the route', () => {
    const sut = withPreviousKey(ROUTE, {
      serverId: 'c.example.com',
      fingerprint: 'cc'.repeat(32),
      publicKey: 'OTHER',
      previous: { fingerprint: 'bb'.repeat(32), publicKey: 'OLD PEM', rotatedAtMs: ROTATED_AT },
    });
    expect(sut).toEqual(ROUTE);
  });

  it('names none without a pin', () => {
    expect(withPreviousKey(ROUTE, null)).toEqual(ROUTE);
  });
});
