// Runs bench/discovery/core-round.ts with ts-node and the repository's path aliases.
const path = require('node:path');
const root = path.resolve(__dirname, '../..');
const tsconfig = require(path.join(root, 'tsconfig.base.json'));
require('ts-node').register({
  transpileOnly: true,
  project: path.join(root, 'tsconfig.base.json'),
});
require('tsconfig-paths').register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });
require('./core-round.ts');
