'use strict';
/*
 * Seeds a share registry with N generated shares, fast, for the registry benchmark (bench/registry.js): SQLite in one
 * transaction of prepared inserts, PostgreSQL with INSERT ... SELECT over generate_series; in both, the secondary
 * indexes are dropped first and rebuilt after the load (one sort instead of a million random b-tree inserts).
 *
 * The data is the same on both engines (every value is derived from the share's number i with md5 and modular
 * arithmetic), spread over three years, newest last:
 *   - types: 50% stone, 20% ohif, 10% osimis, 5% volview, 5% meddream-viewer-publication, 5% viewer-instant-link,
 *     5% download-instant-link; instant links expire after an hour, 1 publication in 6 after 30 days, the rest never
 *     (75% of all shares never expire);
 *   - 10% revoked (three days after creation), so ~75k revoked and unexpired shares at 1M;
 *   - 80% created by the Basic caller share-user, 20% by 200 Keycloak users (user-0 ... user-199);
 *   - one study resource each (uid and Orthanc id), 1 share in 20 also a series of it; 600k distinct studies at 1M;
 *   - N/2000 tokens revoked by hash (Python-issued, `hash:` ids).
 * It writes the schema the service under test created (schema_migrations version 1, the original one; or 2).
 */
const { createHash } = require('node:crypto');

const DAY = 86_400_000;
const SPAN = 3 * 365 * DAY;
const TYPES = [
  ...Array(10).fill('stone-viewer-publication'),
  ...Array(4).fill('ohif-viewer-publication'),
  ...Array(2).fill('osimis-viewer-publication'),
  'volview-viewer-publication',
  'meddream-viewer-publication',
  'viewer-instant-link',
  'download-instant-link',
];
const USERS = 200;
const STUDY_ROOT = '1.2.826.0.1.3680043.8.498.';

const md5 = (s) => createHash('md5').update(s).digest('hex');
const uuid = (h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
const orthancId = (h) => `${h.slice(0, 8)}-${h.slice(8, 16)}-${h.slice(16, 24)}-${h.slice(24, 32)}-${h.slice(32, 40)}`;

/** The parameters every generated value derives from (also what the benchmark queries for). */
function plan(n, now = Date.now()) {
  const t0 = now - SPAN;
  const studies = Math.max(1, Math.floor(n * 0.6));
  const hashRows = Math.max(1, Math.floor(n / 2000));
  return { n, t0, now, studies, hashRows };
}

/** Share i (1..n), as the service would have recorded it. */
function share(p, i) {
  const createdAt = p.t0 + Math.floor((i * SPAN) / p.n);
  const type = TYPES[i % 20];
  const instant = type.endsWith('instant-link');
  const expiresAt = instant ? createdAt + 3_600_000 : i % 6 === 1 ? createdAt + 30 * DAY : null;
  const revoked = (i * 7919) % 1000 < 100;
  const revokedAt = revoked ? Math.min(createdAt + 3 * DAY, p.now - 1000) : null;
  const bearer = i % 5 === 0;
  const user = (Math.floor(i / 5) * 31) % USERS;
  const s = (i * 48271) % p.studies;
  const uid = `${STUDY_ROOT}${10_000_000_000 + s}`;
  const oid = orthancId(md5(`study-${s}`) + md5(`study2-${s}`));
  const resources = [{ dicomUid: uid, orthancId: oid, url: null, level: 'study' }];
  if (i % 20 === 7) {
    resources.push({
      dicomUid: `${uid}.1`,
      orthancId: orthancId(md5(`series-${s}`) + md5(`series2-${s}`)),
      url: null,
      level: 'series',
    });
  }
  return {
    id: uuid(md5(`share-${i}`)),
    tokenHash: md5(`token-a-${i}`) + md5(`token-b-${i}`),
    type,
    resources,
    creator: bearer
      ? { kind: 'bearer', name: `user-${user}`, userId: uuid(md5(`user-${user}`)) }
      : { kind: 'basic', name: 'share-user', userId: null },
    createdAt,
    expiresAt,
    revokedAt,
    revokedBy: revoked ? 'basic:share-user' : null,
    revokedSeq: revoked ? i : null,
  };
}

/** Token j (1..hashRows) of the Python service, revoked by its hash. */
function hashRow(p, j) {
  const tokenHash = md5(`python-a-${j}`) + md5(`python-b-${j}`);
  return {
    id: `hash:${tokenHash}`,
    tokenHash,
    type: 'ohif-viewer-publication',
    resources: [{ dicomUid: `${STUDY_ROOT}9${j}`, orthancId: null, url: null, level: 'study' }],
    creator: null,
    createdAt: null,
    expiresAt: null,
    revokedAt: p.t0 + Math.floor((j * SPAN) / p.hashRows),
    revokedBy: 'cli:root',
    revokedSeq: p.n + j,
  };
}

// ---------------------------------------------------------------------------------------------------- SQLite

function sqliteVersion(db) {
  return db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get().v;
}

/** Drops the secondary indexes of `tables`, runs `load`, recreates them; answers the time spent on each part. */
function sqliteWithoutIndexes(db, tables, load) {
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(',')})`,
    )
    .all(...tables);
  for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
  const t = Date.now();
  load();
  const loadMs = Date.now() - t;
  const t2 = Date.now();
  for (const ix of indexes) db.exec(ix.sql);
  return { loadMs, indexMs: Date.now() - t2 };
}

function seedSqlite(path, n) {
  const Database = require('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('cache_size = -262144'); // 256 MiB for the load
  const version = sqliteVersion(db);
  const p = plan(n);
  const hex = (h) => Buffer.from(h, 'hex');
  let timing;
  db.transaction(() => {
    if (version === 1) {
      timing = sqliteWithoutIndexes(db, ['shares', 'share_resources'], () => {
        const ins = db.prepare(
          'INSERT INTO shares (id, token_hash, type, resources, creator_kind, creator_name, creator_user_id, created_at, expires_at, revoked_at, revoked_by, revoked_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
        );
        const res = db.prepare('INSERT INTO share_resources (share_id, dicom_uid, orthanc_id) VALUES (?,?,?)');
        const put = (s) => {
          ins.run(
            s.id,
            s.tokenHash,
            s.type,
            JSON.stringify(s.resources),
            s.creator?.kind ?? null,
            s.creator?.name ?? null,
            s.creator?.userId ?? null,
            s.createdAt,
            s.expiresAt,
            s.revokedAt,
            s.revokedBy,
            s.revokedSeq,
          );
          for (const r of s.resources) res.run(s.id, r.dicomUid, r.orthancId);
        };
        for (let i = 1; i <= n; i++) put(share(p, i));
        for (let j = 1; j <= p.hashRows; j++) put(hashRow(p, j));
      });
    } else if (version === 2) {
      timing = sqliteWithoutIndexes(db, ['shares', 'share_resources', 'share_creators'], () => {
        const creators = new Map();
        const addCreator = db.prepare('INSERT INTO share_creators (id, kind, name, user_id) VALUES (?,?,?,?)');
        const creatorId = (c) => {
          if (!c) return null;
          const key = `${c.kind}\0${c.name}\0${c.userId ?? ''}`;
          let id = creators.get(key);
          if (id === undefined) {
            id = creators.size + 1;
            creators.set(key, id);
            addCreator.run(id, c.kind, c.name, c.userId);
          }
          return id;
        };
        const ins = db.prepare(
          'INSERT INTO shares (pk, id, token_hash, type, creator_id, created_at, expires_at, revoked_at, revoked_by, revoked_seq) VALUES (?,?,?,?,?,?,?,?,?,?)',
        );
        const res = db.prepare(
          'INSERT INTO share_resources (share_pk, position, level, dicom_uid, orthanc_id, url) VALUES (?,?,?,?,?,?)',
        );
        const put = (pk, s) => {
          ins.run(
            pk,
            s.id,
            hex(s.tokenHash),
            s.type,
            creatorId(s.creator),
            s.createdAt,
            s.expiresAt,
            s.revokedAt,
            s.revokedBy,
            s.revokedSeq,
          );
          s.resources.forEach((r, k) => res.run(pk, k, r.level, r.dicomUid, r.orthancId, r.url));
        };
        // Hash rows first (pk 1..hashRows), then the shares: pk = hashRows + i (as on PostgreSQL).
        for (let j = 1; j <= p.hashRows; j++) put(j, hashRow(p, j));
        for (let i = 1; i <= n; i++) put(p.hashRows + i, share(p, i));
      });
    } else {
      throw new Error(`cannot seed schema version ${version}`);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { version, ...timing };
}

// ---------------------------------------------------------------------------------------------------- PostgreSQL

/**
 * SQL expressions of the generated columns over FROM ${c.from} (share number i); the same values as share(). What
 * several columns use is computed once per row, in LATERAL subqueries.
 */
function pgShareColumns(p) {
  const created = 'a.created';
  const ts = (ms) => `to_timestamp((${ms})::double precision / 1000)`;
  const typeCase = `(ARRAY[${TYPES.map((t) => `'${t}'`).join(',')}])[(i % 20) + 1]`;
  const instant = `(i % 20 IN (18, 19))`;
  const expires = `CASE WHEN ${instant} THEN ${created} + 3600000 WHEN i % 6 = 1 THEN ${created} + ${30 * DAY} END`;
  const revoked = `((i::bigint * 7919) % 1000 < 100)`;
  const uid = `'${STUDY_ROOT}' || (10000000000 + a.s)::text`;
  const oidOf = (h) =>
    `substr(${h},1,8) || '-' || substr(${h},9,8) || '-' || substr(${h},17,8) || '-' || substr(${h},25,8) || '-' || substr(${h},33,8)`;
  const res = (u, o, level) =>
    `json_build_object('dicomUid', ${u}, 'orthancId', ${o}, 'url', NULL, 'level', '${level}')`;
  const resources = `(CASE WHEN i % 20 = 7 THEN json_build_array(${res('b.uid', 'b.oid', 'study')}, ${res(`b.uid || '.1'`, 'b.series_oid', 'series')}) ELSE json_build_array(${res('b.uid', 'b.oid', 'study')}) END)::text`;
  const user = `(((i / 5) * 31) % ${USERS})`;
  return {
    from: `generate_series(1, ${p.n}) AS g(i)
      CROSS JOIN LATERAL (SELECT (${p.t0}::bigint + (i::bigint * ${SPAN}) / ${p.n}) AS created,
        ((i::bigint * 48271) % ${p.studies}) AS s) a
      CROSS JOIN LATERAL (SELECT ${uid} AS uid, md5('study-' || a.s) || md5('study2-' || a.s) AS sh,
        md5('series-' || a.s) || md5('series2-' || a.s) AS rh) h
      CROSS JOIN LATERAL (SELECT h.uid, ${oidOf('h.sh')} AS oid, ${oidOf('h.rh')} AS series_oid) b`,
    id: `md5('share-' || i)::uuid::text`,
    tokenHex: `md5('token-a-' || i) || md5('token-b-' || i)`,
    type: typeCase,
    resources,
    bearer: `(i % 5 = 0)`,
    userName: `'user-' || ${user}`,
    userId: `md5('user-' || ${user})::uuid::text`,
    createdAt: ts(created),
    expiresAt: `${ts(expires)}`,
    revokedAt: `CASE WHEN ${revoked} THEN ${ts(`LEAST(${created} + ${3 * DAY}, ${p.now - 1000})`)} END`,
    revokedBy: `CASE WHEN ${revoked} THEN 'basic:share-user' END`,
    revokedSeq: `CASE WHEN ${revoked} THEN i END`,
    uid: 'b.uid',
    oid: 'b.oid',
    seriesUid: `b.uid || '.1'`,
    seriesOid: 'b.series_oid',
  };
}

function pgHashColumns(p) {
  return {
    tokenHex: `md5('python-a-' || j) || md5('python-b-' || j)`,
    revokedAt: `to_timestamp((${p.t0}::bigint + (j::bigint * ${SPAN}) / ${p.hashRows})::double precision / 1000)`,
    uid: `'${STUDY_ROOT}9' || j`,
  };
}

/**
 * Drops the secondary indexes and the foreign keys of `tables`, runs `load`, then recreates them: one sort per index
 * and one join per foreign key, rather than a b-tree insert and a lookup per row (whose cached plan, made while the
 * table looked empty, may be a sequential scan).
 */
async function pgWithoutIndexes(client, tables, load) {
  const { rows: indexes } = await client.query(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
     WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [tables],
  );
  const { rows: fks } = await client.query(
    `SELECT c.conname, c.conrelid::regclass::text AS tbl, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
     WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1)`,
    [tables],
  );
  for (const fk of fks) await client.query(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT ${fk.conname}`);
  for (const ix of indexes) await client.query(`DROP INDEX ${ix.indexname}`);
  const t = Date.now();
  await load();
  const loadMs = Date.now() - t;
  const t2 = Date.now();
  for (const ix of indexes) await client.query(ix.indexdef);
  for (const fk of fks) await client.query(`ALTER TABLE ${fk.tbl} ADD CONSTRAINT ${fk.conname} ${fk.def}`);
  return { loadMs, indexMs: Date.now() - t2 };
}

async function seedPostgres(url, n) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const version = (await client.query('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations')).rows[0].v;
    const p = plan(n);
    const c = pgShareColumns(p);
    const h = pgHashColumns(p);
    await client.query("SET maintenance_work_mem = '256MB'");
    await client.query('BEGIN');
    let timing;
    if (version === 1) {
      timing = await pgWithoutIndexes(client, ['shares', 'share_resources'], async () => {
        await client.query(`
          INSERT INTO shares (id, token_hash, type, resources, creator_kind, creator_name, creator_user_id, created_at, expires_at, revoked_at, revoked_by, revoked_seq)
          SELECT ${c.id}, ${c.tokenHex}, ${c.type}, ${c.resources},
            CASE WHEN ${c.bearer} THEN 'bearer' ELSE 'basic' END,
            CASE WHEN ${c.bearer} THEN ${c.userName} ELSE 'share-user' END,
            CASE WHEN ${c.bearer} THEN ${c.userId} END,
            ${c.createdAt}, ${c.expiresAt}, ${c.revokedAt}, ${c.revokedBy}, ${c.revokedSeq}
          FROM ${c.from}`);
        await client.query(`
          INSERT INTO share_resources (share_id, dicom_uid, orthanc_id)
          SELECT ${c.id}, ${c.uid}, ${c.oid} FROM ${c.from}
          UNION ALL
          SELECT ${c.id}, ${c.seriesUid}, ${c.seriesOid} FROM ${c.from} WHERE i % 20 = 7`);
        await client.query(`
          INSERT INTO shares (id, token_hash, type, resources, created_at, revoked_at, revoked_by, revoked_seq)
          SELECT 'hash:' || ${h.tokenHex}, ${h.tokenHex}, 'ohif-viewer-publication',
            json_build_array(json_build_object('dicomUid', ${h.uid}, 'orthancId', NULL, 'url', NULL, 'level', 'study'))::text,
            NULL, ${h.revokedAt}, 'cli:root', ${n} + j
          FROM generate_series(1, ${p.hashRows}) AS g(j)`);
        await client.query(`
          INSERT INTO share_resources (share_id, dicom_uid, orthanc_id)
          SELECT 'hash:' || ${h.tokenHex}, ${h.uid}, NULL FROM generate_series(1, ${p.hashRows}) AS g(j)`);
      });
    } else if (version === 2) {
      timing = await pgWithoutIndexes(client, ['shares', 'share_resources', 'share_creators'], async () => {
        await client.query(
          `INSERT INTO share_creators (id, kind, name, user_id) VALUES (1, 'basic', 'share-user', NULL)`,
        );
        await client.query(`
          INSERT INTO share_creators (id, kind, name, user_id)
          SELECT u + 2, 'bearer', 'user-' || u, md5('user-' || u)::uuid::text FROM generate_series(0, ${USERS - 1}) AS g(u)`);
        // Hash rows first (pk 1..hashRows), then the shares: pk = hashRows + i.
        await client.query(`
          INSERT INTO shares (pk, id, token_hash, type, creator_id, created_at, revoked_at, revoked_by, revoked_seq)
          SELECT j, 'hash:' || ${h.tokenHex}, decode(${h.tokenHex}, 'hex'), 'ohif-viewer-publication',
            NULL, NULL, ${h.revokedAt}, 'cli:root', ${n} + j
          FROM generate_series(1, ${p.hashRows}) AS g(j)`);
        await client.query(`
          INSERT INTO share_resources (share_pk, position, level, dicom_uid, orthanc_id, url)
          SELECT j, 0, 'study', ${h.uid}, NULL, NULL FROM generate_series(1, ${p.hashRows}) AS g(j)`);
        await client.query(`
          INSERT INTO shares (pk, id, token_hash, type, creator_id, created_at, expires_at, revoked_at, revoked_by, revoked_seq)
          SELECT ${p.hashRows} + i, ${c.id}, decode(${c.tokenHex}, 'hex'), ${c.type},
            CASE WHEN ${c.bearer} THEN (((i / 5) * 31) % ${USERS}) + 2 ELSE 1 END,
            ${c.createdAt}, ${c.expiresAt}, ${c.revokedAt}, ${c.revokedBy}, ${c.revokedSeq}
          FROM ${c.from}`);
        await client.query(`
          INSERT INTO share_resources (share_pk, position, level, dicom_uid, orthanc_id, url)
          SELECT ${p.hashRows} + i, 0, 'study', ${c.uid}, ${c.oid}, NULL FROM ${c.from}
          UNION ALL
          SELECT ${p.hashRows} + i, 1, 'series', ${c.seriesUid}, ${c.seriesOid}, NULL FROM ${c.from} WHERE i % 20 = 7`);
        await client.query(`SELECT setval(pg_get_serial_sequence('shares', 'pk'), ${n + p.hashRows})`);
        await client.query(`SELECT setval(pg_get_serial_sequence('share_creators', 'id'), ${USERS + 1})`);
      });
    } else {
      throw new Error(`cannot seed schema version ${version}`);
    }
    await client.query(`SELECT setval('shares_revoked_seq', ${n + p.hashRows})`);
    await client.query('COMMIT');
    const t = Date.now();
    // What autovacuum does to a table in service: statistics for the planner, the visibility map for index-only scans.
    await client.query('VACUUM ANALYZE');
    return { version, ...timing, vacuumMs: Date.now() - t };
  } finally {
    await client.end();
  }
}

module.exports = { plan, share, hashRow, seedSqlite, seedPostgres, USERS, STUDY_ROOT };
