import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_DIR } from '../../test/spec-paths';
import { canonicalize } from './canonical-json';

const dir = path.join(FIXTURES_DIR, 'rfc8785');
const names = readdirSync(path.join(dir, 'input')).filter((f) => f.endsWith('.json'));

describe('RFC 8785 reference test data', () => {
  it('has the six reference files', () => {
    expect(names.sort()).toEqual([
      'arrays.json',
      'french.json',
      'structures.json',
      'unicode.json',
      'values.json',
      'weird.json',
    ]);
  });

  it.each(names)('canonicalises %s to the exact output bytes', (name) => {
    const input = JSON.parse(readFileSync(path.join(dir, 'input', name), 'utf8')) as unknown;
    const expected = readFileSync(path.join(dir, 'output', name));
    const hex = readFileSync(path.join(dir, 'outhex', name.replace(/\.json$/, '.txt')), 'utf8');
    const actual = Buffer.from(canonicalize(input), 'utf8');
    expect(actual.toString('hex')).toBe(expected.toString('hex'));
    expect(actual.toString('hex')).toBe(hex.replace(/\s+/g, '').toLowerCase());
  });
});
