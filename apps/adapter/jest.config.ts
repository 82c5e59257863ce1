export default {
  displayName: 'adapter',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  globalSetup: '../../libs/testing/src/lib/pg-global-setup.ts',
  globalTeardown: '../../libs/testing/src/lib/pg-global-teardown.ts',
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/src/**/*.integration-spec.ts',
    '<rootDir>/test/**/*.spec.ts',
  ],
};
