import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hashSharePassword,
  loadUnlockLimits,
  PgShareStore,
  ShareStore,
  ShareUnlock,
  SqliteShareStore,
} from '@app/shares';
import type { NewShare } from '@app/shares';
import { call, RunningApp, startApp } from './support/app';
import { describeWithPostgres, freshDatabase } from './support/postgres';
import { createProtected, formTokenOf, postForm, StandInViewer, validate } from './support/share-page';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

const SECRET = 'test-secret-key-for-the-e2e-suites-only';
/** Small figures, so that each limit is reached in a few attempts: see docs/PROTOCOL.md, "Threat model". */
const limits = {
  ...loadUnlockLimits({}),
  maxFailuresPerAddress: 1000,
  guessesPerDay: 6,
  maxGuessesPerDay: 10,
  codeEmailsPerDay: 4,
  // Room at the scrypt gate for every parallel guess below, but in the test of the gate itself.
  concurrency: 64,
};

async function protectedShare(store: ShareStore, id: string, password: string | null, emails: string[] = []) {
  const share: NewShare = {
    id,
    tokenHash: Buffer.from(id.padEnd(32, '-').slice(0, 32)).toString('hex'),
    type: 'stone-viewer-publication',
    resources: [{ dicomUid: '1.2.3', orthancId: null, url: null, level: 'study' }],
    creator: { kind: 'basic', name: 'share-user', userId: null },
    createdAt: new Date(),
    expiresAt: null,
    protection: password
      ? { kind: 'password', passwordHash: await hashSharePassword(password), emails: [] }
      : { kind: 'email-code', passwordHash: null, emails },
  };
  await store.insert(share);
  return (await store.getProtection(id))!;
}

/** The same behaviour, whatever the engine: what each store must keep between attempts and between replicas. */
function unlockBehaviour(open: () => Promise<{ stores: ShareStore[]; done(): Promise<void> }>) {
  let stores: ShareStore[];
  let done: () => Promise<void>;
  let unlocks: ShareUnlock[];
  beforeAll(async () => {
    ({ stores, done } = await open());
    unlocks = stores.map((s) => new ShareUnlock(s, limits, SECRET));
  });
  afterAll(async () => {
    await done?.();
  });

  it('counts failures per link and address; a success gives its attempt back', async () => {
    const p = await protectedShare(stores[0], 'p-1', 'right password');
    const [unlock] = unlocks;
    expect(await unlock.withPassword(p, 'wrong', '198.51.100.1')).toEqual({
      ok: false,
      reason: 'wrong-password',
      attemptsLeft: 4,
    });
    expect(await unlock.withPassword(p, 'right password', '198.51.100.1')).toEqual({ ok: true });
    expect(await unlock.withPassword(p, 'wrong', '198.51.100.1')).toMatchObject({ attemptsLeft: 4 });
    const other = { ...p, kind: 'email-code' as const };
    expect(await unlock.withPassword(other, 'x', null)).toEqual({ ok: false, reason: 'not-protected' });
  });

  it('one address guessing in parallel through every replica: 5 guesses tried, the rest refused before any scrypt; the recipient elsewhere opens', async () => {
    const p = await protectedShare(stores[0], 'p-2', 'right password');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => unlocks[i % unlocks.length].withPassword(p, `wrong ${i}`, '203.0.113.9')),
    );
    const tried = results.filter((r) => !r.ok && r.reason === 'wrong-password');
    const lockedBy = results.filter((r) => !r.ok && r.reason === 'locked');
    expect(tried).toHaveLength(4); // the 5th failure answers "locked" itself
    expect(lockedBy).toHaveLength(26);
    expect(lockedBy.every((r) => !r.ok && r.reason === 'locked' && r.scope === 'link-address')).toBe(true);
    for (const u of unlocks)
      expect(await u.withPassword(p, 'right password', '203.0.113.9')).toMatchObject({ reason: 'locked' });
    expect(await unlocks[1].withPassword(p, 'right password', '192.0.2.50')).toEqual({ ok: true });
  });

  it('many addresses in parallel through every replica: at most SHARE_UNLOCK_MAX_GUESSES_PER_DAY guesses a day; an address that opened the link still does', async () => {
    const p = await protectedShare(stores[0], 'p-3', 'right password');
    expect(await unlocks[0].withPassword(p, 'right password', '192.0.2.1')).toEqual({ ok: true });
    // 6 guesses from one address... (5 per lock window: it is refused at its 6th)
    const one = [];
    for (let i = 0; i < 6; i++) one.push(await unlocks[i % unlocks.length].withPassword(p, `w${i}`, '198.51.100.7'));
    expect(one.filter((r) => !r.ok && r.reason === 'locked' && r.scope === 'link-address')).toHaveLength(2);
    // ...then 40 addresses at once: past 6 guesses only addresses with no failure today, past 10 nobody new.
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        unlocks[i % unlocks.length].withPassword(p, `guess ${i}`, `2001:db8:${i.toString(16)}::1`),
      ),
    );
    const tried = many.filter((r) => !r.ok && r.reason === 'wrong-password').length;
    expect(tried).toBe(10 - 5);
    expect(many.filter((r) => !r.ok && r.reason === 'locked' && r.scope === 'link-ceiling')).toHaveLength(35);
    // The ceiling reached, a new address cannot try; the address that opened the link before still opens it.
    expect(await unlocks[unlocks.length - 1].withPassword(p, 'right password', '192.0.2.99')).toMatchObject({
      scope: 'link-ceiling',
    });
    expect(await unlocks[unlocks.length - 1].withPassword(p, 'right password', '192.0.2.1')).toEqual({ ok: true });
  });

  it('between SHARE_UNLOCK_GUESSES_PER_DAY and the maximum, an address with no failure on the link may try (the recipient), one that failed may not', async () => {
    const p = await protectedShare(stores[0], 'p-4', 'right password');
    for (let i = 0; i < 6; i++) await unlocks[0].withPassword(p, `w${i}`, `198.51.100.${i + 10}`);
    expect(await unlocks[1].withPassword(p, 'again', '198.51.100.10')).toMatchObject({ scope: 'link-ceiling' });
    expect(await unlocks[1].withPassword(p, 'right password', '192.0.2.7')).toEqual({ ok: true });
  });

  it('a flood beyond the scrypt gate is refused at once (busy), uncounted; no more than its capacity derive at once', async () => {
    const p = await protectedShare(stores[0], 'p-5', 'right password');
    const narrow = new ShareUnlock(stores[0], { ...limits, concurrency: 1, maxGuessesPerDay: 100 }, SECRET);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => narrow.withPassword(p, `w${i}`, `198.51.100.${100 + i}`)),
    );
    const busy = results.filter((r) => !r.ok && r.reason === 'busy');
    const tried = results.filter((r) => !r.ok && r.reason === 'wrong-password');
    expect(busy).toHaveLength(15); // 1 running, 4 waiting
    expect(tried).toHaveLength(5);
    expect((await narrow.withCounts(p)).failures).toBe(5);
  });

  it('codes: one per recipient, stored as an HMAC, used once; a new code for one recipient leaves the other one valid', async () => {
    const p = await protectedShare(stores[0], 'c-1', null, ['patient@example.org', 'gp@example.org']);
    const [u0, u1] = [unlocks[0], unlocks[unlocks.length - 1]];
    const a = await u0.issueCode(p, 0, null);
    const b = await u1.issueCode(p, 1, null);
    if (!a.ok || !b.ok) throw new Error('no code issued');
    expect([a.email, b.email]).toEqual(['patient@example.org', 'gp@example.org']);
    const a2 = await u1.issueCode(p, 0, null); // a new one for the patient: the GP's stays
    if (!a2.ok) throw new Error('no code issued');
    expect(await u0.withCode(p, b.code.replace(/(\d{3})/, '$1 - '), '203.0.113.1')).toEqual({ ok: true });
    expect(await u0.withCode(p, b.code, '203.0.113.1')).toMatchObject({ ok: false });
    if (a.code !== a2.code) expect(await u1.withCode(p, a.code, '203.0.113.2')).toMatchObject({ reason: 'wrong-code' });
    expect(await u1.withCode(p, a2.code, '203.0.113.2')).toEqual({ ok: true });
    expect(await u1.withCode(p, a2.code, '203.0.113.2')).toMatchObject({ reason: 'code-expired' });
  });

  it('a bound address receives at most SHARE_CODE_EMAILS_PER_DAY codes a day, whatever the links, through any replica', async () => {
    const p1 = await protectedShare(stores[0], 'c-2', null, ['bombed@example.org']);
    const p2 = await protectedShare(stores[0], 'c-3', null, ['bombed@example.org']);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        unlocks[i % unlocks.length].issueCode(i % 2 ? p1 : p2, 0, `198.51.100.${i}`),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(results.filter((r) => !r.ok && r.reason === 'rate-limited')).toHaveLength(8);
  });

  it('records a child under its parent (parent_pk)', async () => {
    const [store] = stores;
    await protectedShare(store, 'parent-1', 'right password');
    await store.insert({
      id: 'child-1',
      tokenHash: 'ab'.repeat(32),
      type: 'viewer-instant-link',
      resources: [],
      creator: null,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
      parentId: 'parent-1',
    });
    const child = await store.get('child-1');
    expect(child?.type).toBe('viewer-instant-link');
  });
}

describe('unlocking protected links on SQLite (two processes: two connections to one file)', () => {
  unlockBehaviour(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-protection-'));
    const path = join(dir, 'shares.sqlite');
    const stores = [new SqliteShareStore(path), new SqliteShareStore(path)];
    for (const s of stores) await s.migrate();
    return {
      stores,
      async done() {
        await Promise.all(stores.map((s) => s.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describeWithPostgres('unlocking protected links on PostgreSQL (three replicas)', () => {
  unlockBehaviour(async () => {
    const db = await freshDatabase();
    const stores = [new PgShareStore(db.url), new PgShareStore(db.url), new PgShareStore(db.url)];
    for (const s of stores) await s.migrate();
    return {
      stores,
      async done() {
        await Promise.all(stores.map((s) => s.close()));
        await db.drop();
      },
    };
  });
});

describeWithPostgres('protected links across two replicas on PostgreSQL', () => {
  const viewer = new StandInViewer();
  let db: { url: string; drop(): Promise<void> };
  let a: RunningApp | undefined;
  let b: RunningApp | undefined;

  beforeAll(async () => {
    const root = await viewer.start();
    db = await freshDatabase();
    a = await startApp({ DATABASE_URL: db.url, PUBLIC_ORTHANC_ROOT: root });
    b = await startApp({ DATABASE_URL: db.url, PUBLIC_ORTHANC_ROOT: root });
  });
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close(), viewer.stop()]);
    await db?.drop();
  });

  it('a share locked through one replica is locked on the other; revoking it on one refuses its children on both', async () => {
    const { token } = await createProtected(a!.url, { password: 'correct horse battery' });
    // Unlocked through replica B: its child token.
    const pageB = `${b!.url}/share/`;
    const form = formTokenOf(await (await fetch(`${pageB}?token=${token}`)).text());
    const right = await postForm(`${pageB}unlock`, { token, form, password: 'correct horse battery' });
    expect(right.status).toBe(303);
    const child = new URL(right.headers.get('location')!).searchParams.get('token')!;
    expect((await validate(a!.url, child)).granted).toBe(true);
    expect((await validate(b!.url, child)).granted).toBe(true);
    // Four failures from one address on A, the fifth on B: that address is locked on that link on both.
    const pageA = `${a!.url}/share/`;
    const formA = formTokenOf(await (await fetch(`${pageA}?token=${token}`)).text());
    for (let i = 0; i < 4; i++) {
      expect((await postForm(`${pageA}unlock`, { token, form: formA, password: `wrong ${i}` })).status).toBe(403);
    }
    expect((await postForm(`${pageB}unlock`, { token, form, password: 'wrong 5' })).status).toBe(429);
    expect((await fetch(`${pageA}?token=${token}`)).status).toBe(429);
    // Revoked on A: B refuses the child within a few seconds (LISTEN/NOTIFY).
    const shareId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).share_id as string;
    expect((await call(a!.url, 'DELETE', `/shares/${shareId}`)).status).toBe(200);
    expect((await validate(a!.url, child)).granted).toBe(false);
    const deadline = Date.now() + 15_000;
    while ((await validate(b!.url, child)).granted && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await validate(b!.url, child)).granted).toBe(false);
  });
});
