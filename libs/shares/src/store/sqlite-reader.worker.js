'use strict';
// The SQLite registry's reads, on a thread of their own (SqliteReader): better-sqlite3 is synchronous, and a listing
// run on the main thread would hold up every validate answer meanwhile. Plain JavaScript so that it runs as is, from
// the sources (tests) as from dist/ (tsconfig.build.json copies it). It runs the statements it is sent, nothing else.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const db = new Database(workerData.path, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
// A second connection to the service's own file (WAL: readers never block the writer), for reads only.
db.pragma('query_only = ON');
const statements = new Map();
const MAX_STATEMENTS = 200;

function prepared(sql) {
  let st = statements.get(sql);
  if (!st) {
    st = db.prepare(sql);
    if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value);
    statements.set(sql, st);
  }
  return st;
}

parentPort.on('message', (msg) => {
  try {
    const st = prepared(msg.sql);
    parentPort.postMessage({ id: msg.id, rows: st.all(msg.params) });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: { message: err.message, code: err.code } });
  }
});
