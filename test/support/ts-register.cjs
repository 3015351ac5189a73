// Runs a TypeScript entry point of this repo in a child process, the way jest compiles it (swc, no type-check), with
// the @app/* paths of tsconfig.json: `node -r ./test/support/ts-register.cjs apps/.../shares-cli.ts`.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '../..');
// Compiled sources are cached by content (several CLI runs per suite would otherwise recompile every library).
const cacheDir = join(tmpdir(), 'orthanc-auth-ts-register');
mkdirSync(cacheDir, { recursive: true });
require.extensions['.ts'] = (module, filename) => {
  const source = readFileSync(filename, 'utf8');
  const cached = join(
    cacheDir,
    `${createHash('sha256').update(filename).update('\0').update(source).digest('hex')}.js`,
  );
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  if (code === undefined) {
    code = transformSync(source, {
      filename,
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    }).code;
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  }
  module._compile(code, filename);
};
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
tsconfigPaths.register({ baseUrl: root, paths: compilerOptions.paths });
