// Conventions as lint rules, not prose (the import rules are described in docs/ARCHITECTURE.md, "The module graph"):
// no promise left floating, libs imported through their index only, no lib reaching into the app or the tests,
// `common` standing on no other lib. Formatting is prettier's job.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const deepLibImport = { group: ['@app/*/*'], message: 'Import a lib through its index: @app/<lib>.' };
const relativeLibImport = { group: ['**/libs/*/src/**', '../../libs/**'], message: 'Import a lib as @app/<lib>.' };
const appImport = { group: ['**/apps/**', 'apps/**'], message: 'A lib never imports the app.' };
const testImport = { group: ['**/test/**'], message: 'Product code never imports the test suites.' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'bench/out/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-restricted-imports': ['error', { patterns: [deepLibImport, relativeLibImport] }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepLibImport, relativeLibImport, appImport, testImport] }],
    },
  },
  {
    files: ['libs/common/**/*.ts'],
    ignores: ['libs/common/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@app/*'], message: 'common stands on no other lib.' },
            relativeLibImport,
            appImport,
            testImport,
          ],
        },
      ],
    },
  },
  {
    files: ['apps/**/*.ts'],
    ignores: ['apps/**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepLibImport, relativeLibImport, testImport] }] },
  },
  {
    // Suites read JSON answers loosely on purpose: what they assert is the shape, field by field.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['eslint.config.mjs'], languageOptions: { sourceType: 'module' } },
  prettier,
);
