// Runs a benchmark written in TypeScript (argv[2]) with ts-node (transpile only) and the
// repository's path aliases, so that it uses @pager/protocol, @pager/gossip-core and
// @pager/testing as they are: `node bench/lib/ts-run.js bench/discovery/daemon.ts --flag v`.
const path = require('node:path');
const root = path.resolve(__dirname, '../..');
const tsconfig = require(path.join(root, 'tsconfig.base.json'));
require('ts-node').register({
  transpileOnly: true,
  project: path.join(root, 'tsconfig.base.json'),
  compilerOptions: { sourceMap: false },
});
require('tsconfig-paths').register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });
const script = path.resolve(process.argv[2]);
process.argv.splice(2, 1);
require(script);
