import { readFileSync } from 'node:fs';
import { RolesStore, validateRolesConfig } from '@app/permissions';
import { rolesVersion, whichVersion } from './roles-versions';

// A child process for the fault suite: opens the roles file as the service does (RolesStore on the file's current
// content), then replaces the whole configuration in a loop, version after version, until it is killed. It prints
// each version number before writing it, so that the parent knows which versions may be on disk.
async function main(): Promise<void> {
  const file = process.argv[2];
  const current = validateRolesConfig(JSON.parse(readFileSync(file, 'utf8')));
  const store = new RolesStore(file, current);
  let n = (whichVersion(current) ?? 0) + 1;
  process.stdout.write('ready\n');
  for (;;) {
    process.stdout.write(`writing ${n}\n`);
    await store.replace(rolesVersion(n));
    n++;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`roles-writer failed: ${String(err)}\n`);
  process.exit(2);
});
