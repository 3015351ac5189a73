import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write';

// Secrets generated for a newcomer who starts the service with no configuration at all (never in production). They
// are kept in the data folder with mode 0600 so that share links survive restarts.

function readOrCreate(path: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), created: false };
  const value = make();
  writeFileAtomic(path, value + '\n', 0o600);
  return { value, created: true };
}

export function embeddedSecretKey(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'secret-key');
  const { value } = readOrCreate(path, () => randomBytes(48).toString('base64url'));
  chmodSync(path, 0o600);
  return value;
}

export function embeddedUsers(dataDir: string): { users: Record<string, string>; generatedPassword?: string } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'users.json');
  const { value, created } = readOrCreate(path, () =>
    JSON.stringify({ 'share-user': randomBytes(18).toString('base64url') }),
  );
  chmodSync(path, 0o600);
  const users = JSON.parse(value) as Record<string, string>;
  return created ? { users, generatedPassword: users['share-user'] } : { users };
}
