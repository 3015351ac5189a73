'use strict';
// The access trail's writes on SQLite, on a thread of their own (SqliteAccessTrail through SqliteReader): a batch is
// one IMMEDIATE transaction of up to a few hundred inserts, which under a flood of events takes milliseconds; run on
// the service's thread it would hold up every validate answer meanwhile. Plain JavaScript so that it runs as is, from
// the sources (tests) as from dist/ (tsconfig.build.json copies it). Its own connection to the service's WAL file: the
// service's writes wait for a batch's commit at most (busy timeout), its reads never.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const db = new Database(workerData.path, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = NORMAL'); // as the service's connection (a per-connection setting)

const insertEvent = db.prepare(
  `INSERT INTO share_access_events (share_id, at, kind, outcome, reason, child_id, client_address, user_agent)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
);
const addCount = db.prepare(
  `INSERT INTO share_access_counts (share_id, kind, outcome, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
   ON CONFLICT (share_id, kind, outcome) DO UPDATE SET count = count + excluded.count,
     first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)`,
);
// A child's grant the trail already held (before a restart, or from another process) is not inserted again: its
// count is taken back.
const takeBack = db.prepare(
  `UPDATE share_access_counts SET count = MAX(count - 1, 0)
   WHERE share_id = ? AND kind = 'child-grant' AND outcome = ?`,
);
const addDay = db.prepare(
  `INSERT INTO share_access_days (share_id, day, kind, outcome, count) VALUES (?, ?, ?, ?, ?)
   ON CONFLICT (share_id, day, kind, outcome) DO UPDATE SET count = count + excluded.count`,
);
// A share keeps its newest events only (a bound per share whatever the traffic): the older ones are deleted.
const trim = db.prepare(
  `DELETE FROM share_access_events WHERE share_id = ? AND id IN (
     SELECT id FROM share_access_events WHERE share_id = ? ORDER BY at DESC, id DESC LIMIT -1 OFFSET ?)`,
);
const pruneDays = db.prepare('DELETE FROM share_access_days WHERE day < ?');
const prune = db.prepare(
  'DELETE FROM share_access_events WHERE id IN (SELECT id FROM share_access_events WHERE at < ? ORDER BY at LIMIT ?)',
);

const write = db.transaction((batch) => {
  const rejected = [];
  for (const e of batch.events) {
    const res = insertEvent.run(e.shareId, e.at, e.kind, e.outcome, e.reason, e.childId, e.clientAddress, e.userAgent);
    if (res.changes === 0) rejected.push(e);
  }
  for (const c of batch.counts) addCount.run(c.shareId, c.kind, c.outcome, c.count, c.firstAt, c.lastAt);
  for (const e of rejected) takeBack.run(e.shareId, e.outcome);
  for (const d of batch.days) addDay.run(d.shareId, d.day, d.kind, d.outcome, d.count);
  for (const id of new Set(batch.events.map((e) => e.shareId))) trim.run(id, id, batch.keepPerShare);
});

parentPort.on('message', (msg) => {
  try {
    let rows = null;
    if (msg.op === 'write') write.immediate(msg.batch);
    else if (msg.op === 'prune') {
      rows = prune.run(msg.before, msg.limit).changes;
      pruneDays.run(Math.floor(msg.before / 86400000));
    } else throw new Error(`unknown operation ${msg.op}`);
    parentPort.postMessage({ id: msg.id, rows });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: { message: err.message, code: err.code } });
  }
});
