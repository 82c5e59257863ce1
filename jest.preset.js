// Shared Jest settings for every project: ts-jest without type-checking
// (`nx typecheck` does that once), Node environment, one place to change.
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@pager/gossip-core$': '<rootDir>/../../libs/gossip-core/src/index.ts',
    '^@pager/internal-api$': '<rootDir>/../../libs/internal-api/src/index.ts',
    '^@pager/protocol$': '<rootDir>/../../libs/protocol/src/index.ts',
    '^@pager/server-kit$': '<rootDir>/../../libs/server-kit/src/index.ts',
    '^@pager/testing$': '<rootDir>/../../libs/testing/src/index.ts',
    '^@pager/testing/jest$': '<rootDir>/../../libs/testing/src/jest.ts',
  },
};
