// Two Jest projects: `deploy` reads the Dockerfiles and Kubernetes manifests (fast, no
// servers); `e2e` starts real servers from dist/ on loopback addresses.
export default {
  projects: [
    {
      displayName: 'deploy',
      preset: '../../jest.preset.js',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
    },
    {
      displayName: 'e2e',
      preset: '../../jest.preset.js',
      globalSetup: '../../libs/testing/src/lib/pg-global-setup.ts',
      globalTeardown: '../../libs/testing/src/lib/pg-global-teardown.ts',
      testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
    },
  ],
  testTimeout: 180000,
};
