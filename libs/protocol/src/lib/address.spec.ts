import { domainOf, formatAddress, isValidServerId, parseAddress } from './address';

describe('isValidServerId', () => {
  it.each([
    'mirah.example.com',
    'mirah',
    'other-server.com',
    'a',
    'x1.y2.z3',
    'xn--caf-dma.example',
    `${'a'.repeat(63)}.com`,
    // 4 labels of 63 + 3 dots = 255 is too long; this one is exactly 253.
    [61, 63, 63, 63].map((n) => 'a'.repeat(n)).join('.'),
  ])('accepts %s', (id) => {
    expect(isValidServerId(id)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['uppercase (not normalised)', 'Mirah.example.com'],
    ['trailing dot', 'mirah.example.com.'],
    ['leading dot', '.example.com'],
    ['empty label', 'mirah..com'],
    ['leading hyphen', '-mirah.com'],
    ['trailing hyphen', 'mirah-.com'],
    ['64-character label', `${'a'.repeat(64)}.com`],
    ['254 characters', [62, 63, 63, 63].map((n) => 'a'.repeat(n)).join('.')],
    ['underscore', 'my_server.com'],
    ['IPv4 literal', '127.0.0.1'],
    ['IPv4 dotted quad', '10.1.2.3'],
    ['short IPv4 form', '127.1'],
    ['decimal IPv4 form', '2130706433'],
    ['hex IPv4 label', 'foo.0x7f'],
    ['all-numeric top label', 'example.123'],
    ['IPv6 literal', '[::1]'],
    ['port', 'mirah.example.com:443'],
    ['unicode', 'café.example'],
    ['fullwidth letters', 'ｍｉｒａｈ.com'],
    ['space', 'mirah .com'],
    ['userinfo', 'user@mirah.com'],
  ])('refuses %s', (_why, id) => {
    expect(isValidServerId(id)).toBe(false);
  });

  it('refuses non-strings without throwing', () => {
    expect(isValidServerId(undefined as unknown as string)).toBe(false);
    expect(isValidServerId(42 as unknown as string)).toBe(false);
  });
});

describe('parseAddress', () => {
  it('splits a valid address', () => {
    expect(parseAddress('taylor@mirah.example.com')).toEqual({
      user: 'taylor',
      serverId: 'mirah.example.com',
    });
  });

  it('lowercases both parts (addresses compare case-insensitively)', () => {
    expect(parseAddress('Taylor_01@Mirah.Example.COM')).toEqual({
      user: 'taylor_01',
      serverId: 'mirah.example.com',
    });
  });

  it('accepts a single-label server', () => {
    expect(parseAddress('alex@mirah')).toEqual({ user: 'alex', serverId: 'mirah' });
  });

  it.each([
    ['no @', 'taylor.mirah.com'],
    ['double @', 'tay@lor@mirah.com'],
    ['empty user', '@mirah.com'],
    ['empty server', 'taylor@'],
    ['user too short', 'ab@mirah.com'],
    ['user too long', `${'a'.repeat(21)}@mirah.com`],
    ['hyphen in user', 'tay-lor@mirah.com'],
    ['dot in user', 'tay.lor@mirah.com'],
    ['trailing dot', 'taylor@mirah.com.'],
    ['IPv4 server', 'taylor@127.0.0.1'],
    ['unicode user', 'tāylor@mirah.com'],
    ['Kelvin sign folding to k', '\u212Aate@mirah.com'],
    ['dotless-i folding', 'TAYLOR\u0130@mirah.com'],
    ['whitespace', ' taylor@mirah.com'],
    ['newline', 'taylor@mirah.com\n'],
    ['empty', ''],
  ])('refuses %s', (_why, address) => {
    expect(parseAddress(address)).toBeNull();
  });

  it('refuses non-strings without throwing', () => {
    expect(parseAddress(null as unknown as string)).toBeNull();
  });
});

describe('formatAddress and domainOf', () => {
  it('round-trips through parseAddress', () => {
    const address = formatAddress('alex', 'other-server.com');
    expect(address).toBe('alex@other-server.com');
    expect(parseAddress(address)).toEqual({ user: 'alex', serverId: 'other-server.com' });
  });

  it('gives the lowercase domain of an address, or null', () => {
    expect(domainOf('alex@Other-Server.com')).toBe('other-server.com');
    expect(domainOf('not an address')).toBeNull();
  });
});
