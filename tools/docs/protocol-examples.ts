/**
 * `npm run docs:examples`: rewrites the example blocks of docs/protocol.md
 * (`<!-- generated:example:NAME -->`) with objects signed by the project's own code and the
 * fixed test-vector keys (libs/testing protocolExamples). `--check`: exit 1 if the doc differs
 * instead of writing it. apps/e2e/src/protocol-doc.spec.ts verifies every signed example.
 */
import { withProtocolExamples } from '@pager/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PROTOCOL_MD = path.resolve(__dirname, '../../docs/protocol.md');

const before = readFileSync(PROTOCOL_MD, 'utf8');
const after = withProtocolExamples(before);
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error('docs/protocol.md examples are out of date: run npm run docs:examples');
    process.exit(1);
  }
} else {
  if (after !== before) writeFileSync(PROTOCOL_MD, after);
  console.log(after === before ? 'docs/protocol.md is up to date' : 'docs/protocol.md rewritten');
}
