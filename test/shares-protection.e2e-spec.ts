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
const limits = { ...loadUnlockLimits({}), maxFailuresPerAddress: 1000 };

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
}

/** The same behaviour, whatever the engine: what each store must keep between attempts and between replicas. */
function unlockBehaviour(open: () => Promise<{ stores: ShareStore[]; done(): Promise<void> }>) {
  let stores: ShareStore[];
  let done: () => Promise<void>;
  beforeAll(async () => {
    ({ stores, done } = await open());
  });
  afterAll(async () => {
    await done?.();
  });

  it('stores the protection, counts failures up to the lock, and a success clears them', async () => {
    const [store] = stores;
    await protectedShare(store, 'p-1', 'right password');
    const unlock = new ShareUnlock(store, limits, SECRET);
    expect(await unlock.withPassword('p-1', 'wrong', '198.51.100.1')).toEqual({
      ok: false,
      reason: 'wrong-password',
      attemptsLeft: 4,
    });
    expect((await store.getProtection('p-1'))!.failures).toBe(1);
    const ok = await unlock.withPassword('p-1', 'right password', '198.51.100.1');
    expect(ok.ok).toBe(true);
    expect((await store.getProtection('p-1'))!.failures).toBe(0);
    expect(await unlock.withPassword('unknown', 'x', null)).toEqual({ ok: false, reason: 'not-protected' });
  });

  it('replicas failing at the same time on one share lose no failure: the 5th locks it, for all of them', async () => {
    await protectedShare(stores[0], 'p-2', 'right password');
    const unlocks = stores.map((s) => new ShareUnlock(s, limits, SECRET));
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => unlocks[i % unlocks.length].withPassword('p-2', `wrong ${i}`, null)),
    );
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(1);
    const state = (await stores[0].getProtection('p-2'))!;
    expect(state.failures).toBe(5);
    expect(state.lockedUntil!.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    for (const u of unlocks) {
      const r = await u.withPassword('p-2', 'right password', null);
      expect(r).toMatchObject({ ok: false, reason: 'locked' });
    }
  });

  it('a code: stored as an HMAC, valid once, counted per hour', async () => {
    const [store] = stores;
    await protectedShare(store, 'c-1', null, ['patient@example.org']);
    const unlock = new ShareUnlock(store, limits, SECRET);
    const issued = await unlock.issueCode('c-1', null);
    if (!issued.ok) throw new Error('no code issued');
    expect(issued.code).toMatch(/^\d{6}$/);
    expect(issued.emails).toEqual(['patient@example.org']);
    const stored = (await store.getProtection('c-1'))!;
    expect(stored.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.codeHash).not.toContain(issued.code);
    expect((await unlock.withCode('c-1', issued.code, null)).ok).toBe(true);
    expect(await unlock.withCode('c-1', issued.code, null)).toMatchObject({ ok: false, reason: 'code-expired' });
    expect((await unlock.issueCode('c-1', null)).ok).toBe(true);
    expect((await unlock.issueCode('c-1', null)).ok).toBe(true);
    expect(await unlock.issueCode('c-1', null)).toMatchObject({ ok: false, reason: 'rate-limited' });
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
    // Four failures on A, the fifth on B: locked on both.
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
