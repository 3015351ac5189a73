/**
 * The SQLite registry's schema, one numbered step at a time. A step is applied once, in order, inside the same
 * IMMEDIATE transaction as the record of it in schema_migrations (so two processes never apply it twice, and a step
 * that fails leaves the previous schema intact). A released step is never edited: change the schema with a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * It rebuilds tables: once it has run, the store gives the space of the old ones back (SQLite: VACUUM; PostgreSQL:
   * VACUUM ANALYZE, which also readies index-only scans), outside the migration's transaction.
   */
  compact?: boolean;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'shares',
    sql: `
      CREATE TABLE shares (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        resources TEXT NOT NULL,
        creator_kind TEXT,
        creator_name TEXT,
        creator_user_id TEXT,
        created_at INTEGER,
        expires_at INTEGER,
        revoked_at INTEGER,
        revoked_by TEXT,
        revoked_seq INTEGER UNIQUE
      );
      CREATE INDEX shares_order ON shares (COALESCE(created_at, revoked_at));
      CREATE INDEX shares_creator_name ON shares (creator_name);
      CREATE INDEX shares_creator_user_id ON shares (creator_user_id);
      CREATE TABLE share_resources (
        share_id TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
        dicom_uid TEXT,
        orthanc_id TEXT
      );
      CREATE INDEX share_resources_share_id ON share_resources (share_id);
      CREATE INDEX share_resources_dicom_uid ON share_resources (dicom_uid);
      CREATE INDEX share_resources_orthanc_id ON share_resources (orthanc_id);
    `,
  },
  {
    // Integer keys (the list order, newest = highest), creators in a table of their own, binary token hashes, the
    // resources in share_resources only (they were also kept as JSON in shares), and an index for every filter and
    // for the revocation set. The tables are rebuilt: rows keep their list order (the pk follows the former
    // COALESCE(created_at, revoked_at) DESC, id ASC).
    version: 2,
    name: 'integer keys, creators table, an index per filter',
    compact: true,
    sql: `
      CREATE TABLE share_creators (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        user_id TEXT
      );
      INSERT INTO share_creators (kind, name, user_id)
        SELECT DISTINCT creator_kind, COALESCE(creator_name, ''), creator_user_id FROM shares
        WHERE creator_kind IS NOT NULL;
      CREATE UNIQUE INDEX share_creators_identity ON share_creators (kind, name, COALESCE(user_id, ''));
      CREATE INDEX share_creators_name ON share_creators (name);
      CREATE INDEX share_creators_user_id ON share_creators (user_id);

      CREATE TABLE shares_v2 (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        token_hash BLOB NOT NULL,
        type TEXT NOT NULL,
        creator_id INTEGER REFERENCES share_creators (id),
        created_at INTEGER,
        expires_at INTEGER,
        revoked_at INTEGER,
        revoked_by TEXT,
        revoked_seq INTEGER
      );
      INSERT INTO shares_v2 (pk, id, token_hash, type, creator_id, created_at, expires_at, revoked_at, revoked_by,
          revoked_seq)
        SELECT row_number() OVER (ORDER BY COALESCE(s.created_at, s.revoked_at), s.id DESC), s.id, unhex(s.token_hash),
          s.type, c.id, s.created_at, s.expires_at, s.revoked_at, s.revoked_by, s.revoked_seq
        FROM shares s LEFT JOIN share_creators c
          ON c.kind = s.creator_kind AND c.name = COALESCE(s.creator_name, '')
          AND COALESCE(c.user_id, '') = COALESCE(s.creator_user_id, '');
      CREATE UNIQUE INDEX shares_id ON shares_v2 (id);

      -- One row per resource, in the share's order, clustered by share: no rowid, no separate index on share_pk.
      CREATE TABLE share_resources_v2 (
        share_pk INTEGER NOT NULL REFERENCES shares_v2 (pk) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        level TEXT NOT NULL,
        dicom_uid TEXT,
        orthanc_id TEXT,
        url TEXT,
        PRIMARY KEY (share_pk, position)
      ) WITHOUT ROWID;
      INSERT INTO share_resources_v2 (share_pk, position, level, dicom_uid, orthanc_id, url)
        SELECT n.pk, r.key, json_extract(r.value, '$.level'), json_extract(r.value, '$.dicomUid'),
          json_extract(r.value, '$.orthancId'), json_extract(r.value, '$.url')
        FROM shares s JOIN shares_v2 n ON n.id = s.id, json_each(s.resources) r;

      DROP TABLE share_resources;
      DROP TABLE shares;
      ALTER TABLE shares_v2 RENAME TO shares;
      ALTER TABLE share_resources_v2 RENAME TO share_resources;

      -- A filtered list reads (filter, pk) in order; revoked_at and expires_at come along, so that the activity filter
      -- and counts are answered from the index alone.
      CREATE UNIQUE INDEX shares_token_hash ON shares (token_hash);
      CREATE INDEX shares_type ON shares (type, pk, revoked_at, expires_at);
      CREATE INDEX shares_creator ON shares (creator_id, pk, revoked_at, expires_at);
      CREATE INDEX shares_unrevoked ON shares (pk, expires_at) WHERE revoked_at IS NULL;
      -- The revocation set, read from the index alone at start-up and by every poll.
      CREATE INDEX shares_revocations ON shares (revoked_seq, expires_at, id, token_hash) WHERE revoked_seq IS NOT NULL;
      CREATE INDEX share_resources_dicom_uid ON share_resources (dicom_uid) WHERE dicom_uid IS NOT NULL;
      CREATE INDEX share_resources_orthanc_id ON share_resources (orthanc_id) WHERE orthanc_id IS NOT NULL;
    `,
  },
  {
    // Protected links (issue 15): how each one is opened (a password's slow hash, or the addresses a one-time code may
    // be e-mailed to), its unlock failures and lock, its current code (hashed) and how many were sent this hour; and
    // the child tokens the share page mints, recorded as shares of their own pointing to their parent.
    version: 3,
    name: 'protected links and their child tokens',
    sql: `
      ALTER TABLE shares ADD COLUMN parent_pk INTEGER REFERENCES shares (pk) ON DELETE CASCADE;
      CREATE INDEX shares_parent ON shares (parent_pk) WHERE parent_pk IS NOT NULL;
      CREATE TABLE share_protections (
        share_pk INTEGER PRIMARY KEY REFERENCES shares (pk) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        password_hash TEXT,
        emails TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        code_hash BLOB,
        code_expires_at INTEGER,
        code_window_start INTEGER,
        code_requests INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    // The access trail of protected shares (issue 15): one row per event (bounded strings, pruned after the retention
    // setting) and one count per share, kind and outcome (never pruned: no personal data). Version 3 is the protected
    // links' step; the runner applies the steps it has not recorded, in order.
    version: 4,
    name: 'share access trail',
    sql: `
      CREATE TABLE share_access_events (
        id INTEGER PRIMARY KEY,
        share_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        child_id TEXT,
        client_address TEXT,
        user_agent TEXT
      );
      -- A share's newest events; the pruning of old ones; a child's grant kept once.
      CREATE INDEX share_access_events_share ON share_access_events (share_id, at);
      CREATE INDEX share_access_events_at ON share_access_events (at);
      CREATE UNIQUE INDEX share_access_events_child ON share_access_events (share_id, child_id)
        WHERE kind = 'child-grant' AND child_id IS NOT NULL;
      CREATE TABLE share_access_counts (
        share_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (share_id, kind, outcome)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Protected links that cannot be turned against their recipient (issue 23): every count that limits unlocking
    // (failures per client address, per link and address, per link and day; codes per recipient; the addresses that
    // opened a link) and each recipient's own pending code, one row per key. share_protections' failures, lock and
    // code columns are no longer written (a released step is never edited).
    version: 5,
    name: 'unlock counters, per-recipient codes, daily access counts',
    sql: `
      CREATE TABLE share_unlock_counters (
        key TEXT PRIMARY KEY,
        window_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        until_at INTEGER,
        secret TEXT
      ) WITHOUT ROWID;
      CREATE INDEX share_unlock_counters_window ON share_unlock_counters (window_start);
      -- Page views and refusals are counted per share and day (UTC, days since 1970-01-01), not kept one by one.
      CREATE TABLE share_access_days (
        share_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (share_id, day, kind, outcome)
      ) WITHOUT ROWID;
      CREATE INDEX share_access_days_day ON share_access_days (day);
      -- The recipients' language of an email-code link, when given at creation (by share id: this step depends on no
      -- other's table, so branches' steps apply in any order).
      CREATE TABLE share_languages (share_id TEXT PRIMARY KEY, language TEXT NOT NULL) WITHOUT ROWID;
    `,
  },
];
