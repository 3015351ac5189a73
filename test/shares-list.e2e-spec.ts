import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewShare, PgShareStore, ShareQuery, ShareRecord, ShareStore, SqliteShareStore } from '@app/shares';
import type { Resource } from '@app/tokens';
import { describeWithPostgres, freshDatabase } from './support/postgres';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

/**
 * Listing through the stores, on both engines, against a reference computed here: every filter combination, walked
 * page by page with the cursor, gives exactly the matching shares, newest first, each once; counts are exact or
 * honest lower bounds. The scan budgets are tiny (7 rows per page, 11 per count) so that 160 shares behave like a
 * large registry: rare filters give short pages, counts run out of budget, the drive is chosen among several.
 */
const BUDGETS = { scan: 7, count: 11 };
const NOW = new Date('2030-06-01T00:00:00Z');
const DAY = 86_400_000;
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const KC_SHARE_USER = '33333333-3333-4333-8333-333333333333';

/** A small deterministic generator (xorshift), so that a failure replays. */
function random(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface Planned {
  share: NewShare;
  revoke: boolean;
}

function plan(): Planned[] {
  const r = random(20301);
  const out: Planned[] = [];
  for (let i = 0; i < 160; i++) {
    const id = `share-${String(i).padStart(3, '0')}`;
    // An old viewer: its shares are the first 20 only. A hot study: one share in five.
    const type =
      i < 20 ? 'meddream-viewer-publication' : r() < 0.6 ? 'stone-viewer-publication' : 'ohif-viewer-publication';
    const study = r() < 0.2 ? '1.2.3.hot' : `1.2.3.${Math.floor(r() * 40)}`;
    const resources: Resource[] = [{ dicomUid: study, orthancId: `oid-${study}`, url: null, level: 'study' }];
    if (r() < 0.1) resources.push({ dicomUid: study, orthancId: `oid-${study}`, url: null, level: 'study' }); // twice
    if (r() < 0.1) resources.push({ dicomUid: `${study}.1`, orthancId: null, url: null, level: 'series' });
    const who = r();
    const creator =
      who < 0.6
        ? { kind: 'basic', name: 'share-user', userId: null }
        : who < 0.75
          ? { kind: 'bearer', name: 'alice', userId: ALICE }
          : who < 0.8
            ? { kind: 'bearer', name: 'bob', userId: BOB }
            : who < 0.9
              ? { kind: 'bearer', name: 'share-user', userId: KC_SHARE_USER }
              : null;
    const e = r();
    const expiresAt = e < 0.5 ? null : new Date(NOW.getTime() + (e < 0.75 ? -DAY : DAY) * Math.ceil(r() * 30));
    out.push({
      share: {
        id,
        tokenHash: createHash('sha256').update(id).digest('hex'),
        type,
        resources,
        creator,
        createdAt: new Date(NOW.getTime() - (200 - i) * DAY),
        expiresAt,
      },
      revoke: r() < 0.25,
    });
  }
  return out;
}

function matches(s: ShareRecord, q: Partial<ShareQuery>): boolean {
  if (q.study !== undefined && !s.resources.some((x) => x.dicomUid === q.study)) return false;
  if (q.orthancId !== undefined && !s.resources.some((x) => x.orthancId === q.orthancId)) return false;
  if (q.type !== undefined && s.type !== q.type) return false;
  if (q.creator !== undefined && s.creator?.name !== q.creator && s.creator?.userId !== q.creator) return false;
  if (q.ownerUserId !== undefined && s.creator?.userId !== q.ownerUserId) return false;
  if (q.active !== undefined) {
    const active = !s.revokedAt && (!s.expiresAt || s.expiresAt.getTime() > NOW.getTime());
    if (active !== q.active) return false;
  }
  return true;
}

const QUERIES: Partial<ShareQuery>[] = [
  {},
  { active: true },
  { active: false },
  { type: 'stone-viewer-publication' },
  { type: 'meddream-viewer-publication' },
  { type: 'meddream-viewer-publication', active: true },
  { type: 'volview-viewer-publication' },
  { study: '1.2.3.hot' },
  { study: '1.2.3.hot', active: false },
  { study: '1.2.3.7' },
  { study: '1.2.3.hot.1' },
  { orthancId: 'oid-1.2.3.hot' },
  { study: '1.2.3.hot', orthancId: 'oid-1.2.3.hot', type: 'ohif-viewer-publication' },
  { creator: 'share-user' },
  { creator: 'share-user', active: true },
  { creator: 'alice' },
  { creator: ALICE, active: false },
  { creator: 'bob', type: 'stone-viewer-publication' },
  { creator: 'nobody' },
  { ownerUserId: ALICE },
  { ownerUserId: ALICE, creator: 'alice', active: true },
  { ownerUserId: BOB, creator: 'alice' },
  { ownerUserId: KC_SHARE_USER, study: '1.2.3.hot' },
  { type: 'ohif-viewer-publication', active: false, creator: 'share-user' },
];

function listSuite(open: () => Promise<{ store: ShareStore; close(): Promise<void> }>) {
  let store: ShareStore;
  let close: () => Promise<void>;
  let all: ShareRecord[];
  let shortPages = 0;

  beforeAll(async () => {
    ({ store, close } = await open());
    for (const p of plan()) {
      await store.insert(p.share);
      if (p.revoke) await store.revoke(p.share.id, 'basic:share-user', new Date(NOW.getTime() - DAY));
    }
    // Two tokens revoked by hash (Python-issued): rows without creator nor creation time.
    for (const h of ['py-1', 'py-2']) {
      const tokenHash = createHash('sha256').update(h).digest('hex');
      await store.insertRevoked(
        {
          id: `hash:${tokenHash}`,
          tokenHash,
          type: 'ohif-viewer-publication',
          resources: [{ dicomUid: '1.2.3.hot', orthancId: null, url: null, level: 'study' }],
          creator: null,
          createdAt: null,
          expiresAt: null,
        },
        'cli:root',
        NOW,
      );
    }
    all = (await Promise.all([...plan().map((p) => p.share.id), ...(await hashIds())].map((id) => store.get(id)))).map(
      (s) => s!,
    );
  });
  afterAll(() => close?.());

  async function hashIds() {
    return ['py-1', 'py-2'].map((h) => `hash:${createHash('sha256').update(h).digest('hex')}`);
  }

  it.each(QUERIES.map((q) => [JSON.stringify(q), q]))(
    '%s: every page, newest first, each share once',
    async (_n, q) => {
      const expected = all
        .filter((s) => matches(s, q))
        .map((s) => s.id)
        .reverse();
      for (const limit of [2, 7, 50]) {
        const seen: string[] = [];
        let before: number | undefined;
        for (let pages = 0; ; pages++) {
          const page = await store.list({ ...q, limit, before, count: pages === 0 }, NOW);
          expect(page.shares.length).toBeLessThanOrEqual(limit);
          seen.push(...page.shares.map((s) => s.id));
          if (page.total) {
            if (page.total.exact) expect(page.total.count).toBe(expected.length);
            else expect(page.total.count).toBeLessThanOrEqual(expected.length);
          }
          if (page.next === null) break;
          if (page.shares.length < limit) shortPages++;
          expect(page.next).toBeLessThan(before ?? Infinity);
          before = page.next;
          expect(pages).toBeLessThan(500);
        }
        expect(seen).toEqual(expected);
      }
    },
  );

  it('the tiny budget was felt: some pages came back short with more to follow', () => {
    expect(shortPages).toBeGreaterThan(0);
  });

  it('a creator or owner that matches no one lists nothing at once', async () => {
    expect(await store.list({ creator: 'nobody', limit: 5, count: true }, NOW)).toEqual({
      shares: [],
      next: null,
      total: { count: 0, exact: true },
    });
  });
}

describe('listing on SQLite', () => {
  listSuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-list-'));
    const store = new SqliteShareStore(join(dir, 'shares.sqlite'), BUDGETS);
    await store.migrate();
    return {
      store,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describeWithPostgres('listing on PostgreSQL', () => {
  listSuite(async () => {
    const db = await freshDatabase();
    const store = new PgShareStore(db.url, BUDGETS);
    await store.migrate();
    return {
      store,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
