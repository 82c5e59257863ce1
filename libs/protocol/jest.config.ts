export default {
  displayName: 'protocol',
  preset: '../../jest.preset.js',
  // rootDir: the folder of this file (Jest's default; no __dirname, which Node 22 lacks when
  // it loads this file as an ES module by stripping its types)
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/src/**/*.integration-spec.ts',
    '<rootDir>/test/**/*.spec.ts',
  ],
};
