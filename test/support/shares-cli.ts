import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const CLI = 'apps/auth-service/src/cli/shares-cli.ts';
/**
 * Each CLI run is a Node process that compiles its sources (swc, cached) and opens the storage: seconds on a quiet
 * machine, tens of seconds when the 2 cores are shared with other builds and suites.
 */
export const CLI_TIMEOUT_MS = 120_000;

/**
 * `npm run shares -- ...` as a separate process, from its TypeScript source (compiled by swc as jest does, since
 * `npm run shares` needs a prior build), with only PATH of the developer's environment.
 */
export function sharesCli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', './test/support/ts-register.cjs', CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH!, NODE_ENV: 'test', ...env }, timeout: CLI_TIMEOUT_MS },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
