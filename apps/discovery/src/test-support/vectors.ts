import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the vector file is free-form JSON
type Json = any;

const SHARED = join(__dirname, '../../../../../shared');

/** /work/shared/spec/test-vectors.json, fresh copy each call so tests can mutate it. */
export function vectors(): Json {
  return JSON.parse(readFileSync(join(SHARED, 'spec/test-vectors.json'), 'utf8'));
}

/** The Big List of Naughty Strings. */
export function naughtyStrings(): string[] {
  return JSON.parse(readFileSync(join(SHARED, 'data/blns.json'), 'utf8'));
}
