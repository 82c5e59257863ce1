import { ProtocolError } from './errors';
import { PROTOCOL_VERSION, assertSupportedVersion, isSupportedVersion } from './version';

describe('isSupportedVersion', () => {
  it.each([PROTOCOL_VERSION, '1.0', '1.1', '1.42'])('accepts %s', (v) => {
    expect(isSupportedVersion(v)).toBe(true);
  });

  it.each(['2.0', '0.9', '1', '1.0.0', 'v1.0', '01.0', ' 1.0', '1.x', ''])('refuses %s', (v) => {
    expect(isSupportedVersion(v)).toBe(false);
  });
});

describe('assertSupportedVersion', () => {
  function codeOf(body: unknown): string | null {
    try {
      assertSupportedVersion(body);
      return null;
    } catch (err) {
      return (err as ProtocolError).code;
    }
  }

  it.each([
    ['1.0 with nothing else', { version: '1.0' }],
    ['a later 1.x minor', { version: '1.7', unknown_member: true }],
  ])('lets %s through to the schema', (_what, body) => {
    expect(codeOf(body)).toBeNull();
  });

  it.each([
    ['a future major with another shape', { version: '2.0', envelope: [1, 2, 3] }],
    ['a future major and nothing else', { version: '2.0' }],
    ['a past major', { version: '0.9', type: 'gossip' }],
    ['a large major', { version: '10.0', from: 42 }],
  ])('answers unsupported_version to %s, before any schema check', (_what, body) => {
    expect(codeOf(body)).toBe('unsupported_version');
  });

  it.each([
    ['a missing version', { message_id: 'MSG-00000000' }],
    ['a numeric version', { version: 1.0 }],
    ['a null version', { version: null }],
    ['an object version', { version: { major: 2 } }],
    ['a version without a minor', { version: '2' }],
    ['a version with three parts', { version: '2.0.0' }],
    ['an overlong version', { version: `1.${'0'.repeat(40)}` }],
    ['an array body', [{ version: '2.0' }]],
    ['a string body', '{"version":"2.0"}'],
    ['a null body', null],
  ])('answers validation_failed to %s', (_what, body) => {
    expect(codeOf(body)).toBe('validation_failed');
  });

  it('reads only an own member, never one inherited from the prototype', () => {
    const body = Object.create({ version: '1.0' }) as object;
    expect(codeOf(body)).toBe('validation_failed');
  });
});
