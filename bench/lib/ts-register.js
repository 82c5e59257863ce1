// Lets a benchmark load the repository's TypeScript libraries (@pager/protocol,
// @pager/gossip-core, @pager/testing) as they are: ts-node (transpile only) and the
// path aliases of tsconfig.base.json. Required by ts-run.js and by bench/delivery/run.js.
const path = require('node:path');
const root = path.resolve(__dirname, '../..');
const tsconfig = require(path.join(root, 'tsconfig.base.json'));
require('ts-node').register({
  transpileOnly: true,
  project: path.join(root, 'tsconfig.base.json'),
  compilerOptions: { sourceMap: false },
});
require('tsconfig-paths').register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });
