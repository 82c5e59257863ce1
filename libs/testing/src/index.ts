export * from './lib/server-process';
export * from './lib/test-server';
