export default {
  displayName: 'discovery',
  preset: '../../jest.preset.js',
  // rootDir: the folder of this file (Jest's default; no __dirname, which Node 22 lacks when
  // it loads this file as an ES module by stripping its types)
  globalSetup: '../../libs/testing/src/lib/pg-global-setup.ts',
  globalTeardown: '../../libs/testing/src/lib/pg-global-teardown.ts',
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/src/**/*.integration-spec.ts',
    '<rootDir>/test/**/*.spec.ts',
  ],
};
