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

describe('IPv6 transition addresses are classified by the IPv4 address they embed', () => {
  it.each([
    // IPv4-mapped and IPv4-translated (SIIT)
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['::ffff:0:8.8.8.8', 'public'],
    // IPv4-compatible (deprecated: never public)
    ['::127.0.0.1', 'loopback'],
    ['::a9fe:a9fe', 'link_local'],
    ['::8.8.8.8', 'reserved'],
    // NAT64 well-known prefix 64:ff9b::/96
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b::192.168.1.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    // NAT64 local-use prefix 64:ff9b:1::/48, every prefix length's layout
    ['64:ff9b:1::7f00:1', 'loopback'], // /96
    ['64:ff9b:1::10.0.0.1', 'private'], // /96, dotted
    ['64:ff9b:1:a9fe:a9:fe00::', 'link_local'], // /48: a9fe, (u) a9 fe
    ['64:ff9b:1:80a:0:101::', 'private'], // /56: 0a, (u) 00 01 01 → 10.0.1.1
    ['64:ff9b:1:0:7f:1:100::', 'loopback'], // /64: (u) 7f 00 01 01 → 127.0.1.1
    ['64:ff9b:1::808:808', 'public'], // only the /96 layout fits: 8.8.8.8
    // /48 reads 8.8.8.8, but the /96 reading (0.0.0.0) fits too: ambiguous, refused
    ['64:ff9b:1:808:8:800::', 'unspecified'],
    // 6to4 2002::/16: the IPv4 address in bits 16-47
    ['2002:7f00:1::1', 'loopback'],
    ['2002:a00:1::1', 'private'],
    ['2002:a9fe:a9fe::1', 'link_local'],
    ['2002:808:808::1', 'public'],
    // Teredo 2001::/32: server in bits 32-63, client = last 32 bits inverted
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // client ~80ff:fffe = 127.0.0.1
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private'], // client 10.0.0.1
    ['2001:0:4136:e378:8000:63bf:5601:fefe', 'link_local'], // client 169.254.1.1
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'private'], // server 10.0.0.1, client 8.8.8.8
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'], // server 65.54.227.120, client 8.8.8.8
    // ISATAP interface ids in a global prefix
    ['2001:4860:1:1:0:5efe:a00:1', 'private'],
    ['2001:4860:1:1:200:5efe:7f00:1', 'loopback'],
    ['2001:4860:1:1:0:5efe:808:808', 'public'],
    // Other IETF assignments inside 2001::/23 stay reserved
    ['2001:2::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
  ])('%s → %s', (ip, expected) => {
    expect(classifyIp(ip)).toBe(expected);
  });

  it.each([
    '::ffff:127.0.0.1',
    '64:ff9b::127.0.0.1',
    '64:ff9b:1::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
    '2001:0:4136:e378:8000:63bf:5601:fefe',
  ])('%s is refused in production, and link-local/metadata stays refused in dev mode', (ip) => {
    expect(isPermittedAddress(ip, false)).toBe(false);
    if (classifyIp(ip) === 'link_local') expect(isPermittedAddress(ip, true)).toBe(false);
  });
});
