// Helpers that declare Jest suites (they use Jest's globals), kept apart from the index so
// that benchmarks and the demo can import `@pager/testing` outside Jest.
export * from './lib/jest/api-doc-suite';
