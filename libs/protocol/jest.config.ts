export default {
  displayName: 'protocol',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/src/**/*.integration-spec.ts',
    '<rootDir>/test/**/*.spec.ts',
  ],
};
