// Runs tools/sim-gossip.ts with ts-node (transpile only) and the repository's path aliases,
// so that the simulator runs the gossip core's sources as they are: `npm run sim:gossip`.
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const tsconfig = require(path.join(root, 'tsconfig.base.json'));
require('ts-node').register({
  transpileOnly: true,
  project: path.join(root, 'tsconfig.base.json'),
  compilerOptions: { sourceMap: false },
});
require('tsconfig-paths').register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });
require('./sim-gossip.ts');
