import { PROTOCOL_VERSION, isSupportedVersion } from './version';

describe('isSupportedVersion', () => {
  it.each([PROTOCOL_VERSION, '1.0', '1.1', '1.42'])('accepts %s', (v) => {
    expect(isSupportedVersion(v)).toBe(true);
  });

  it.each(['2.0', '0.9', '1', '1.0.0', 'v1.0', '01.0', ' 1.0', '1.x', ''])('refuses %s', (v) => {
    expect(isSupportedVersion(v)).toBe(false);
  });
});
