import { resolveRecipient } from './recipient-resolution';

describe(resolveRecipient.name, () => {
  const contacts = [
    { name: 'Ops Lead', pagerAddress: 'sally@remote.com' },
    { name: 'Night Shift', pagerAddress: 'bob' },
    { name: 'ops lead', pagerAddress: 'later@remote.com' },
  ];
  const table: [string, ReturnType<typeof resolveRecipient>][] = [
    [
      'OPS LEAD',
      { kind: 'federated', username: 'sally', domain: 'remote.com', address: 'sally@remote.com' },
    ],
    ['night shift', { kind: 'local', username: 'bob', address: 'bob@home.test' }],
    ['alice', { kind: 'local', username: 'alice', address: 'alice@home.test' }],
    ['Alice', { kind: 'local', username: 'alice', address: 'alice@home.test' }],
    ['alice@home.test', { kind: 'local', username: 'alice', address: 'alice@home.test' }],
    ['ALICE@HOME.TEST', { kind: 'local', username: 'alice', address: 'alice@home.test' }],
    [
      'alex@other-server.com',
      {
        kind: 'federated',
        username: 'alex',
        domain: 'other-server.com',
        address: 'alex@other-server.com',
      },
    ],
    ['al', { kind: 'invalid' }],
    ['alice@', { kind: 'invalid' }],
    ['@home.test', { kind: 'invalid' }],
    ['a@b@c', { kind: 'invalid' }],
    ['alice@bad_domain', { kind: 'invalid' }],
    ['\u212Aevin', { kind: 'invalid' }],
    ['', { kind: 'invalid' }],
  ];

  it.each(table)('resolves %j', (to, expected) => {
    expect(resolveRecipient(to, contacts, 'home.test')).toEqual(expected);
  });

  it('prefers a contact name over a username of the same spelling', () => {
    expect(
      resolveRecipient('bob', [{ name: 'Bob', pagerAddress: 'bob@remote.com' }], 'home.test'),
    ).toMatchObject({ kind: 'federated' });
  });
});
