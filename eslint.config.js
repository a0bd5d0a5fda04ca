// Lint: typescript-eslint's recommended rules, with `any` forbidden in our code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'bench/results/**', 'test/histories/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
);
