#!/usr/bin/env node
// `npx fedctl …` / `npm run fedctl -- …`: runs the built CLI (dist/apps/fedctl/main.js).
const { existsSync } = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'apps', 'fedctl', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('fedctl: not built yet: run `npm run build` (or `npx nx build fedctl`)\n');
  process.exit(64);
}
require(main);
