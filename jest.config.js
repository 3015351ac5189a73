// Jest 30 + @swc/jest: the Nest 12 packages, jose 6 and openid-client 6 are ESM-only, so they are let through the
// transform (ts-jest cannot load them). The transform does not type-check: `npm test` runs `tsc --noEmit` first.
const esmOnly = [
  '@nestjs',
  'jose',
  'openid-client',
  'oauth4webapi',
  'oidc-provider',
  'file-type',
  'token-types',
  'strtok3',
  'uint8array-extras',
  '@tokenizer',
  'quick-lru',
  'nanoid',
  'eta',
  'jsesc',
  '@keycloak',
  'cookie',
  '@koa',
  'koa',
  'fast-check',
  'pure-rand',
];
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testRegex: '(apps|libs|test)/.*\\.(e2e-)?spec\\.ts$',
  transform: {
    '^.+\\.(t|j|mj|cj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    '^@app/(common|tokens|permissions|keycloak|meddream|emails|shares)$': '<rootDir>/libs/$1/src',
  },
  // One test on a 2-core machine shared with other builds and suites; the slow ones (fuzz, child processes) set more.
  testTimeout: 60_000,
};
