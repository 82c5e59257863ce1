import { canonicalize } from './canonical-json';

describe('canonicalize', () => {
  it('sorts members by UTF-16 code units, not by locale', () => {
    // U+1F600 is stored as surrogates D83D DE00, which sort before U+FB33 in UTF-16 order
    // even though its code point is larger.
    expect(canonicalize({ '\ufb33': 1, '\u{1f600}': 2, b: 3, B: 4, a: 5 })).toBe(
      '{"B":4,"a":5,"b":3,"😀":2,"דּ":1}',
    );
  });

  it('sorts nested objects and keeps array order', () => {
    expect(canonicalize({ z: [3, { y: 1, x: 2 }], a: {} })).toBe('{"a":{},"z":[3,{"x":2,"y":1}]}');
  });

  it('serialises numbers like JSON.stringify', () => {
    expect(canonicalize([0, -0, 1e21, 1e-7, 9007199254740991, 0.1 + 0.2])).toBe(
      '[0,0,1e+21,1e-7,9007199254740991,0.30000000000000004]',
    );
  });

  it.each([NaN, Infinity, -Infinity])('refuses the non-finite number %p', (n) => {
    expect(() => canonicalize({ n })).toThrow(RangeError);
    expect(() => canonicalize([n])).toThrow(RangeError);
  });

  it('skips undefined members and writes undefined array items as null', () => {
    expect(canonicalize({ a: undefined, b: 1, c: () => 1 })).toBe('{"b":1}');
    expect(canonicalize([undefined, 1])).toBe('[null,1]');
  });

  it('refuses values with no JSON form at top level, BigInt and cycles', () => {
    expect(() => canonicalize(undefined)).toThrow(TypeError);
    expect(() => canonicalize({ n: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(TypeError);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalize({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('escapes strings like JSON.stringify, leaving non-ASCII as is', () => {
    expect(canonicalize('\u0007"\\\n\u2028é</script>')).toBe('"\\u0007\\"\\\\\\n\u2028é</script>"');
  });

  it('keeps a parsed "__proto__" member, which counts like any other', () => {
    const parsed = JSON.parse('{"__proto__":{"a":1},"b":2}') as unknown;
    expect(canonicalize(parsed)).toBe('{"__proto__":{"a":1},"b":2}');
  });

  it('uses toJSON as JSON.stringify does', () => {
    expect(canonicalize({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});
