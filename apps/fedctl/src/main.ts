import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { runFedctl } from './app/cli';

/** fedctl: the operator's command line for one pager federation server (docs/fedctl.md). */
runFedctl(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY === true,
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
  writeFile: (path, text) => writeFileSync(path, text, { mode: 0o644 }),
  nowMs: () => Date.now(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`fedctl: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
