import { createHmac, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The cost of a protected link's password hash (node's scrypt): N=2^15, r=8, p=1, 32 MiB and 130-190 ms per hash on
 * the project's shared 2-core machine (bench/share-password.js prints it). Online guessing is stopped by the lockout; this
 * cost is what an offline attack on a stolen registry pays per guess. The parameters travel in each stored hash, so a
 * later change leaves the hashes already stored verifiable.
 */
const SCRYPT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** The most memory one hash may take: 128 * N * r bytes, with room. */
const maxmem = (N: number, r: number) => 128 * N * r + 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { ...cost, maxmem: maxmem(cost.N, cost.r) }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$<salt base64url>$<hash base64url>`. */
export async function hashSharePassword(
  password: string,
  cost: { N: number; r: number; p: number } = SCRYPT_COST,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scryptAsync(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  key: Buffer;
}

/** A stored hash, its cost bounded (128 MiB at most): a tampered row cannot make one check take the heap. */
function parseHash(encoded: string | null): ParsedHash | null {
  const parts = encoded?.split('$');
  if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every(Number.isInteger) || N < 2 || N > 2 ** 17 || r < 1 || r > 16 || p < 1 || p > 4) return null;
  return { cost: { N, r, p }, salt: Buffer.from(parts[4], 'base64url'), key: Buffer.from(parts[5], 'base64url') };
}

/** A hash no password matches, verified instead when there is none, so that every answer costs one scrypt. */
const DUMMY: ParsedHash = { cost: SCRYPT_COST, salt: randomBytes(SALT_LENGTH), key: randomBytes(KEY_LENGTH) };

/**
 * Does the password match the stored hash? Always one scrypt at the stored (or the default) cost and a constant-time
 * comparison, whether the hash is there or not: a missing or malformed hash answers false in the same time.
 */
export async function verifySharePassword(password: string, encoded: string | null): Promise<boolean> {
  const parsed = parseHash(encoded);
  const target = parsed ?? DUMMY;
  const key = await scryptAsync(password, target.salt, target.cost);
  return parsed !== null && key.length === target.key.length && timingSafeEqual(key, target.key);
}

/** A one-time code: 6 random digits. */
export function newShareCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * The stored form of a code: an HMAC keyed with SECRET_KEY over the share id and the code (hex). A stolen registry
 * without the key gives nothing to try a million codes against.
 */
export function shareCodeHash(secretKey: string, shareId: string, code: string): string {
  return createHmac('sha256', secretKey).update(`share-code\0${shareId}\0${code}`).digest('hex');
}

/** Constant-time equality of two hex hashes. */
export function sameHash(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
