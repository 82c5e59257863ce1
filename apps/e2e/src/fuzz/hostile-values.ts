import fc from 'fast-check';
import { naughtyStrings } from '@pager/testing';

/**
 * Values an attacker would send: the Big List of Naughty Strings, Unicode edge cases
 * (U+0000, lone surrogates, BOM, RTL override, non-characters), huge strings, deep
 * nesting and every JSON type where another one is expected.
 */

const UNICODE_EDGES = [
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uDBFF',
  '\uDC00y',
  '\uFEFF',
  '\u202Eevil',
  '\uFFFE\uFFFF',
  '\u{10FFFF}',
  '\u{1F4DF}',
  '\u200B',
  'A\u030A',
  '\r\n\t',
  '%ZZ',
  '%00',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  "'; DROP TABLE peers; --",
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
];

let blns: string[] | undefined;
/** BLNS, read once. */
export function blnsStrings(): string[] {
  blns ??= naughtyStrings();
  return blns;
}

/** A hostile string: BLNS, Unicode edges, arbitrary full-range text, or a huge one. */
export function hostileString(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...blnsStrings()) },
    { weight: 3, arbitrary: fc.constantFrom(...UNICODE_EDGES) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('a', '\u0000', '\u{1F4DF}', 'é'),
          fc.integer({ min: 300, max: 80_000 }),
        )
        .map(([unit, n]) => unit.repeat(n)),
    },
  );
}

/**
 * A value nested `depth` levels deep: too deep for JSON.stringify's recursion, so it is kept
 * as this marker and written out as text by `toJsonText`.
 */
export class DeepNesting {
  constructor(
    readonly depth: number,
    readonly arrays: boolean,
  ) {}

  text(): string {
    return this.arrays
      ? `${'['.repeat(this.depth)}"leaf"${']'.repeat(this.depth)}`
      : `${'{"a":'.repeat(this.depth)}"leaf"${'}'.repeat(this.depth)}`;
  }

  toJSON(): string {
    return `\u0001DEEP:${this.depth}:${this.arrays}\u0001`;
  }
}

/** Deeply nested arrays or objects (33 to 20,000 levels) around a leaf. */
export function deepNesting(): fc.Arbitrary<DeepNesting> {
  return fc
    .tuple(fc.integer({ min: 33, max: 20_000 }), fc.boolean())
    .map(([depth, arrays]) => new DeepNesting(depth, arrays));
}

/** JSON text of a value that may hold DeepNesting markers. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(
    /"\\u0001DEEP:(\d+):(true|false)\\u0001"/g,
    (_m, depth: string, arrays: string) => new DeepNesting(Number(depth), arrays === 'true').text(),
  );
}

/** Any JSON value of the wrong kind: numbers at the edges, booleans, null, arrays, objects. */
export function wrongType(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      0.5,
      [],
      {},
      [null],
      JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
      '',
    ),
    fc.jsonValue({ maxDepth: 4 }),
  );
}

/** A hostile value of any kind. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: hostileString() },
    { weight: 3, arbitrary: wrongType() },
    { weight: 1, arbitrary: deepNesting() },
  );
}
