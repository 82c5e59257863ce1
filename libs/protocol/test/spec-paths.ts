import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// The shared contract lives beside the repo (/work/shared next to /work/main);
// PAGER_SPEC_DIR points elsewhere, e.g. in CI.
export const SPEC_DIR = process.env['PAGER_SPEC_DIR']
  ? path.resolve(process.env['PAGER_SPEC_DIR'])
  : path.resolve(__dirname, '../../../../shared/spec');
export const DATA_DIR = path.resolve(SPEC_DIR, '../data');

export function readSpecJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(SPEC_DIR, ...parts), 'utf8')) as T;
}

/** The Big List of Naughty Strings. */
export function naughtyStrings(): string[] {
  return JSON.parse(readFileSync(path.join(DATA_DIR, 'blns.json'), 'utf8')) as string[];
}
