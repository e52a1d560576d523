// Type-checked rules: an unawaited promise in a bot is a lost action.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layering from './tools/eslint/layering.cjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.serverless/**', '.esbuild/**', 'bin/**', 'tools/**/*.cjs', '*.config.js', '*.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Inner layers never import outer ones (tools/eslint/layering.cjs holds the table).
    files: ['**/*.ts'],
    plugins: { cordon: layering.plugin },
    rules: { 'cordon/layering': ['error', { root: import.meta.dirname }] },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@slack/*', '@aws-sdk/*', 'better-sqlite3', 'node:*', 'fs', 'http'] }],
    },
  },
);
