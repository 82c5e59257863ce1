import {
  checkAnnouncementEndpoints,
  checkEndpointUrl,
  classifyIp,
  EndpointUrlInput,
  endpointHostname,
  IpClass,
} from './endpoint-policy';

const SERVER = 'mirah.example.com';
const PUBLIC_V4 = '93.184.216.34';
const PUBLIC_V6 = '2606:2800:220:1:248:1893:25c8:1946';

function strict(url: string, resolvedAddresses: string[] = [PUBLIC_V4]) {
  return checkEndpointUrl({ url, serverId: SERVER, resolvedAddresses, allowPrivate: false });
}

function dev(url: string, resolvedAddresses: string[] = []) {
  return checkEndpointUrl({ url, serverId: SERVER, resolvedAddresses, allowPrivate: true });
}

describe('classifyIp', () => {
  const cases: [string, IpClass][] = [
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.1.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::8.8.8.8', 'reserved'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::192.168.0.1', 'private'],
    // Local-use NAT64: classified by the IPv4 it embeds (0.0.0.1 in the /96 layout).
    ['64:ff9b:1::1', 'unspecified'],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', 'public'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['fc00::1', 'unique_local'],
    ['fd00::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['FE80::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['127.1', 'invalid'],
    ['0x7f.0.0.1', 'invalid'],
    ['2130706433', 'invalid'],
    ['localhost', 'invalid'],
    ['', 'invalid'],
  ];

  it.each(cases)('classifies %s as %s', (ip, expected) => {
    expect(classifyIp(ip)).toBe(expected);
  });
});

describe('checkEndpointUrl in strict mode', () => {
  it('accepts an https URL on the server id that resolves to a public address', () => {
    expect(strict('https://mirah.example.com/federation')).toEqual({ ok: true });
  });

  it('accepts an https URL on a subdomain of the server id', () => {
    expect(strict('https://api.mirah.example.com/federation')).toEqual({ ok: true });
  });

  it('accepts a host that resolves to public IPv4 and IPv6 addresses', () => {
    expect(strict('https://mirah.example.com/discovery', [PUBLIC_V4, PUBLIC_V6])).toEqual({
      ok: true,
    });
  });

  it('accepts an explicit port', () => {
    expect(strict('https://mirah.example.com:8443/discovery')).toEqual({ ok: true });
  });

  it('refuses http', () => {
    expect(strict('http://mirah.example.com/x')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/https/),
    });
  });

  it.each([
    'ftp://mirah.example.com/x',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'ws://mirah.example.com',
  ])('refuses the non-https URL %s', (url) => {
    expect(strict(url).ok).toBe(false);
  });

  it('refuses a string that is not a URL', () => {
    expect(strict('mirah.example.com/federation')).toEqual({
      ok: false,
      reason: 'endpoint is not a valid URL',
    });
  });

  it('refuses a host that only starts like the server id (evil-mirah.example.com)', () => {
    expect(strict('https://evil-mirah.example.com/x').ok).toBe(false);
  });

  it('refuses a host that has the server id as a prefix (mirah.example.com.evil.com)', () => {
    expect(strict('https://mirah.example.com.evil.com/x').ok).toBe(false);
  });

  it('refuses the server id with a trailing dot, which is another string than the one signed', () => {
    expect(strict('https://mirah.example.com./x').ok).toBe(false);
  });

  it('refuses a parent domain of the server id', () => {
    expect(strict('https://example.com/x').ok).toBe(false);
  });

  it('refuses user and password in the URL', () => {
    expect(strict('https://user:pw@mirah.example.com/x')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/user information/),
    });
  });

  it('refuses an empty userinfo (https://@host)', () => {
    expect(strict('https://@mirah.example.com/x').ok).toBe(false);
  });

  it('refuses a backslash trick that puts the real host before an @', () => {
    expect(strict('https://evil.com\\@mirah.example.com/x').ok).toBe(false);
  });

  it('refuses a URL with embedded whitespace, which the parser would silently drop', () => {
    expect(strict('https://mirah.exa\tmple.com/x').ok).toBe(false);
  });

  it('refuses a URL longer than 2048 characters', () => {
    const url = `https://mirah.example.com/${'a'.repeat(2048)}`;
    expect(strict(url)).toMatchObject({ ok: false, reason: expect.stringMatching(/2048/) });
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const prefix = 'https://mirah.example.com/';
    expect(strict(prefix + 'a'.repeat(2048 - prefix.length))).toEqual({ ok: true });
  });

  it('refuses port 0', () => {
    expect(strict('https://mirah.example.com:0/x').ok).toBe(false);
  });

  it.each([
    ['https://10.0.0.1', 'private'],
    ['https://[::ffff:127.0.0.1]', 'loopback'],
    ['https://[::ffff:7f00:1]/x', 'loopback'],
    ['https://[::1]', 'loopback'],
    ['https://169.254.169.254/latest/meta-data', 'link_local'],
    ['https://0.0.0.0', 'unspecified'],
    ['https://2130706433', 'loopback'],
    ['https://0x7f.1', 'loopback'],
    ['https://017700000001', 'loopback'],
    ['https://[fe80::1]', 'link_local'],
    ['https://[fd00::1]', 'unique_local'],
    ['https://[ff02::1]', 'multicast'],
    ['https://100.64.1.1', 'private'],
    ['https://192.168.1.1', 'private'],
    ['https://172.16.0.1', 'private'],
  ])('refuses the IP-literal URL %s as a %s address', (url, ipClass) => {
    const result = strict(url, []);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(ipClass) });
  });

  it('refuses a public IP literal: only a DNS name can satisfy the host rule', () => {
    expect(strict(`https://${PUBLIC_V4}/x`, [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/DNS name/),
    });
  });

  it('refuses a host that resolves to 127.0.0.1', () => {
    expect(strict('https://mirah.example.com/x', ['127.0.0.1'])).toMatchObject({
      ok: false,
      reason: expect.stringContaining('loopback'),
    });
  });

  it('refuses a host that resolves to one public and one private address', () => {
    expect(strict('https://mirah.example.com/x', [PUBLIC_V4, '10.1.2.3'])).toMatchObject({
      ok: false,
      reason: expect.stringContaining('10.1.2.3'),
    });
  });

  it('refuses a host with a public IPv4 and a unique-local IPv6 address', () => {
    expect(strict('https://mirah.example.com/x', [PUBLIC_V4, 'fd12:3456::1']).ok).toBe(false);
  });

  it.each(['::ffff:127.0.0.1', '::1', 'fe80::1', '169.254.169.254', '0.0.0.0', '100.64.1.1'])(
    'refuses a host that resolves to %s',
    (address) => {
      expect(strict('https://mirah.example.com/x', [address]).ok).toBe(false);
    },
  );

  it('refuses a host that did not resolve', () => {
    expect(strict('https://mirah.example.com/x', [])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/did not resolve/),
    });
  });

  it('refuses a resolved address that is not an address', () => {
    expect(strict('https://mirah.example.com/x', ['not-an-ip']).ok).toBe(false);
  });

  it('refuses everything for a server id that is not a valid DNS name', () => {
    const input: EndpointUrlInput = {
      url: 'https://127.0.0.1/x',
      serverId: '127.0.0.1',
      resolvedAddresses: [PUBLIC_V4],
      allowPrivate: false,
    };
    expect(checkEndpointUrl(input).ok).toBe(false);
  });

  it('accepts a single-label server id as host', () => {
    const input = {
      url: 'https://mirah/x',
      serverId: 'mirah',
      resolvedAddresses: [PUBLIC_V4],
      allowPrivate: false,
    };
    expect(checkEndpointUrl(input)).toEqual({ ok: true });
  });

  it('compares the host case-insensitively, as URL parsing lowercases it', () => {
    expect(strict('https://API.Mirah.Example.COM/x')).toEqual({ ok: true });
  });
});

describe('checkEndpointUrl in development mode', () => {
  it('accepts http on a loopback address with a port', () => {
    expect(dev('http://127.0.0.2:4100/discovery')).toEqual({ ok: true });
  });

  it('accepts https as well', () => {
    expect(dev('https://127.0.0.1:4100/discovery')).toEqual({ ok: true });
  });

  it('waives the host rule', () => {
    expect(dev('http://other-name.test:4100/discovery', ['192.168.1.10'])).toEqual({ ok: true });
  });

  it('accepts a host resolving to a private address', () => {
    expect(dev('http://localhost:4100/discovery', ['127.0.0.1', '::1'])).toEqual({ ok: true });
  });

  it('accepts a unique-local IPv6 literal', () => {
    expect(dev('http://[fd00::1]:4100/discovery')).toEqual({ ok: true });
  });

  it('still refuses schemes other than http and https', () => {
    expect(dev('ftp://127.0.0.1/x').ok).toBe(false);
  });

  it('still refuses user information', () => {
    expect(dev('http://user:pw@127.0.0.1:4100/x').ok).toBe(false);
  });

  it('still refuses the link-local metadata address', () => {
    expect(dev('http://169.254.169.254/latest/meta-data').ok).toBe(false);
  });

  it('still refuses the unspecified address', () => {
    expect(dev('http://0.0.0.0:4100/x').ok).toBe(false);
  });

  it('still refuses a multicast address', () => {
    expect(dev('http://[ff02::1]/x').ok).toBe(false);
  });

  it('still refuses a host that did not resolve', () => {
    expect(dev('http://nowhere.test/x', []).ok).toBe(false);
  });

  it('still refuses a URL longer than 2048 characters', () => {
    expect(dev(`http://127.0.0.1/${'a'.repeat(2048)}`).ok).toBe(false);
  });
});

describe('endpointHostname', () => {
  it('gives the lowercase host to resolve', () => {
    expect(endpointHostname('https://API.mirah.example.com:8443/x')).toBe('api.mirah.example.com');
  });

  it('strips the brackets of an IPv6 literal', () => {
    expect(endpointHostname('https://[::1]/x')).toBe('::1');
  });

  it('gives null for something that is not a URL', () => {
    expect(endpointHostname('not a url')).toBeNull();
  });
});

describe('checkAnnouncementEndpoints', () => {
  const resolved = new Map<string, string[]>([
    ['mirah.example.com', [PUBLIC_V4]],
    ['api.mirah.example.com', [PUBLIC_V4]],
    ['internal.mirah.example.com', ['10.0.0.5']],
  ]);

  function check(endpoints: unknown, allowPrivate = false) {
    return checkAnnouncementEndpoints({ serverId: SERVER, endpoints, resolved, allowPrivate });
  }

  it('accepts two endpoints that both pass', () => {
    expect(
      check({
        federation: 'https://mirah.example.com/federation',
        discovery: 'https://api.mirah.example.com/discovery',
      }),
    ).toEqual({ ok: true });
  });

  it('refuses when the discovery endpoint resolves to a private address', () => {
    expect(
      check({
        federation: 'https://mirah.example.com/federation',
        discovery: 'https://internal.mirah.example.com/discovery',
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/^endpoints\.discovery: /) });
  });

  it('refuses when the federation endpoint is http', () => {
    expect(
      check({
        federation: 'http://mirah.example.com/federation',
        discovery: 'https://mirah.example.com/discovery',
      }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/^endpoints\.federation: /) });
  });

  it('refuses a host missing from the resolver map as unresolvable', () => {
    expect(
      check({
        federation: 'https://mirah.example.com/federation',
        discovery: 'https://unknown.mirah.example.com/discovery',
      }).ok,
    ).toBe(false);
  });

  it('refuses when an endpoint is missing', () => {
    expect(check({ federation: 'https://mirah.example.com/federation' })).toEqual({
      ok: false,
      reason: 'endpoints.discovery is missing',
    });
  });

  it('refuses endpoints that are not an object', () => {
    expect(check(['https://mirah.example.com/federation']).ok).toBe(false);
  });

  it('accepts loopback literals without resolver entries in development mode', () => {
    expect(
      check(
        {
          federation: 'http://127.0.0.1:4200/federation',
          discovery: 'http://127.0.0.1:4100/discovery',
        },
        true,
      ),
    ).toEqual({ ok: true });
  });
});
