export default {
  displayName: 'internal-api',
  preset: '../../jest.preset.js',
  // rootDir: the folder of this file (Jest's default; no __dirname under Node 22's type stripping)
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
