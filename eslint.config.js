// Lint: typescript-eslint's recommended rules with type information (as Temporal's own samples lint),
// `any` forbidden, and no dropped promises: a floating promise, or a promise passed where a callback's
// result is ignored, hides a failure (an unawaited activity call, a handler that rejects unheard).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'bench/results/**', 'test/histories/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises its runner awaits itself.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Workflow code must stay deterministic: no Node APIs, no I/O, activities by type only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process'], message: 'Workflow code cannot use Node APIs.' },
          { group: ['postgres', 'resend', 'pino', 'sanitize-html', 'zod', '**/db/**', '**/api/**', '**/config/**', '**/worker/**'], message: 'Workflow code cannot do I/O; call an activity.' },
          { group: ['**/activities/**'], allowTypeImports: true, message: 'Workflow code imports activities by type only (proxyActivities).' },
        ],
      }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Data flows one way: API → database and Temporal client → workflow → activities. The API and
    // the domain share rules through domain/, never by reaching into the worker's activities.
    files: ['api/**/*.ts', 'api/**/*.tsx', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/activities/**', '**/worker/**'], allowTypeImports: true, message: 'The API and domain/ do not call into the worker: move what both need to domain/.' },
        ],
      }],
    },
  },
);
