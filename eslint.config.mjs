import nx from '@nx/eslint-plugin';

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
          ],
        },
      ],
    },
  },
];
