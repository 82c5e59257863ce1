import { naughtyStrings } from '../../test/spec-paths';
import { isStorableJson, isStorableText } from './storable-text';

describe(isStorableText.name, () => {
  it.each([
    ['plain', 'hello', true],
    ['empty', '', true],
    ['a surrogate pair (emoji)', 'pager \u{1F4DF}', true],
    ['U+FFFD itself', '\uFFFD', true],
    ['other C0 controls', '\u0001\u001f\u007f', true],
    ['U+0000', 'a\u0000b', false],
    ['U+0000 alone', '\u0000', false],
    ['a lone high surrogate', 'a\uD83Db', false],
    ['a lone high surrogate at the end', 'a\uD83D', false],
    ['a lone low surrogate', '\uDCA9x', false],
    ['a reversed pair', '\uDCA9\uD83D', false],
  ])('%s → %s', (_name, text, expected) => {
    expect(isStorableText(text)).toBe(expected);
  });

  it('refuses what is not a string', () => {
    expect(isStorableText(42)).toBe(false);
    expect(isStorableText(null)).toBe(false);
  });

  it('accepts every BLNS string without U+0000 or lone surrogates', () => {
    for (const s of naughtyStrings()) {
      const expected = !s.includes('\u0000') && Buffer.from(s, 'utf8').toString('utf8') === s;
      expect(isStorableText(s)).toBe(expected);
    }
  });
});

describe(isStorableJson.name, () => {
  it('walks objects, arrays and keys', () => {
    expect(isStorableJson({ a: ['x', { b: 'y' }], n: 1, t: true, z: null })).toBe(true);
    expect(isStorableJson({ a: ['x', { b: 'y\u0000' }] })).toBe(false);
    expect(isStorableJson({ ['k\u0000']: 'v' })).toBe(false);
    expect(isStorableJson(['\uD800'])).toBe(false);
  });

  it('refuses a value nested deeper than 64 levels rather than walking it', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(isStorableJson(deep)).toBe(false);
  });
});
