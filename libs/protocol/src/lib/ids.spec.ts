import {
  GOSSIP_ID_RE,
  MESSAGE_ID_RE,
  QUERY_ID_RE,
  newGossipId,
  newMessageId,
  newQueryId,
} from './ids';

describe('ids', () => {
  it.each([
    ['message', newMessageId, MESSAGE_ID_RE, 'MSG-'],
    ['query', newQueryId, QUERY_ID_RE, 'QUERY-'],
    ['gossip', newGossipId, GOSSIP_ID_RE, 'GOSSIP-'],
  ] as const)('generates %s ids with 32 uppercase hex digits', (_kind, generate, re, prefix) => {
    const id = generate();
    expect(id).toMatch(new RegExp(`^${prefix}[0-9A-F]{32}$`));
    expect(re.test(id)).toBe(true);
  });

  it('does not repeat ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, newMessageId));
    expect(ids.size).toBe(1000);
  });

  it('accepts 8 to 32 hex digits from other implementations', () => {
    expect(MESSAGE_ID_RE.test('MSG-0000ABCD')).toBe(true);
    expect(QUERY_ID_RE.test(`QUERY-${'F'.repeat(32)}`)).toBe(true);
  });

  it.each([
    'MSG-0000ABC',
    `MSG-${'A'.repeat(33)}`,
    'MSG-0000abcd',
    'msg-0000ABCD',
    'MSG-0000ABCG',
    'QUERY-0000ABCD',
  ])('refuses %s as a message id', (id) => {
    expect(MESSAGE_ID_RE.test(id)).toBe(false);
  });

  it('keeps the prefixes apart', () => {
    expect(GOSSIP_ID_RE.test(newQueryId())).toBe(false);
    expect(QUERY_ID_RE.test(newGossipId())).toBe(false);
  });
});
