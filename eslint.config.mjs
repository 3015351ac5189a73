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
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
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
      // strictTypeChecked, loosened where a rule fights a convention; every other rule of the preset is on.
      // Numbers in messages and URLs (`${ms} ms`, `:${port}`) print exactly; objects, null and undefined stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `return reply.send(x)` / `return this.answer(...)` ends a handler in one line, async ones included (the
      // rule's ignoreVoidReturningFunctions does not cover Promise<void>); tsc already refuses testing a void.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Nest modules are empty classes carrying a @Module decorator by design.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      // Each `x!` states an invariant set up elsewhere (a provider only built when its setting is present, a map
      // entry written just before, a row the same transaction inserted); a guard would add an unreachable branch.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `catch (err) { return Promise.reject(err) }` passes on what was thrown, unchanged (an unknown).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
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
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      // Suites read JSON answers loosely on purpose: what they assert is the shape, field by field. The no-unsafe-*
      // family reports each such read (`res.json().tokens[0].id`); a wrong guess fails the assertion anyway.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Teardown guards `app?.close()` a variable typed as set that stays undefined when beforeAll failed; the
      // guard keeps the real error visible instead of a TypeError in afterAll.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Fakes implement async interfaces (`async insert() {}`) without awaiting anything, exactly like the real
      // stores' contract; making them sync would change what the code under test receives.
      '@typescript-eslint/require-await': 'off',
      // `expect(mock.method).toHaveBeenCalled()` and jest.spyOn hand a method around without calling it.
      '@typescript-eslint/unbound-method': 'off',
      // Suites hand DTO and option literals where Nest declares a class without behaviour (DecodeTokenDto, options).
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // Hostile suites delete a field chosen by name to build each malformed body.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['eslint.config.mjs'], languageOptions: { sourceType: 'module' } },
  prettier,
);
