export * from './lib/server-process';
export * from './lib/test-server';
export * from './lib/spec-fixtures';
export * from './lib/test-database';
export * from './lib/protocol-examples';
export * from './lib/strict-receiver';
export * from './lib/bench-figures';
