// Runs a benchmark written in TypeScript (argv[2]) with ts-node (transpile only) and the
// repository's path aliases, so that it uses @pager/protocol, @pager/gossip-core and
// @pager/testing as they are: `node bench/lib/ts-run.js bench/discovery/daemon.ts --flag v`.
const path = require('node:path');
require('./ts-register');
const script = path.resolve(process.argv[2]);
process.argv.splice(2, 1);
require(script);
