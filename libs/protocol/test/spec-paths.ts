import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The protocol's test fixtures, kept in the repository (see fixtures/README.md for where
 * each file came from): test-vectors.json, rfc8785/ and blns.json.
 */
export const FIXTURES_DIR = path.resolve(__dirname, 'fixtures');

/** Parses FIXTURES_DIR/...parts as JSON. */
export function readFixtureJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, ...parts), 'utf8')) as T;
}

/** The Big List of Naughty Strings. */
export function naughtyStrings(): string[] {
  return readFixtureJson<string[]>('blns.json');
}
