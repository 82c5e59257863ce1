import { classifyIp, isPermittedAddress } from './ip-class';

describe(isPermittedAddress.name, () => {
  it.each([
    ['93.184.216.34', false, true],
    ['2606:2800:220:1:248:1893:25c8:1946', false, true],
    ['127.0.0.1', false, false],
    ['::ffff:127.0.0.1', false, false],
    ['10.1.2.3', false, false],
    ['169.254.169.254', false, false],
    ['127.0.0.1', true, true],
    ['10.1.2.3', true, true],
    ['fd00::1', true, true],
    // Development mode still never reaches the cloud metadata service or multicast.
    ['169.254.169.254', true, false],
    ['ff02::1', true, false],
    ['0.0.0.0', true, false],
    ['not-an-ip', true, false],
  ])('%s with allowPrivate=%s → %s', (ip, allowPrivate, expected) => {
    expect(isPermittedAddress(ip, allowPrivate)).toBe(expected);
  });

  it('classifies an IPv4-mapped IPv6 address by the IPv4 address inside', () => {
    expect(classifyIp('::ffff:10.0.0.1')).toBe('private');
  });
});
