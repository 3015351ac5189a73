'use strict';
// What the benchmark (run.js) and the soak (soak.js) both need to drive the built service as a child process.
const { readFileSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist/apps/auth-service/src/main.js');
// The service runs with the flags of `npm run start:prod` and of the Docker image.
const SERVICE_NODE_FLAGS = require('../package.json')
  .scripts['start:prod'].split(' ')
  .filter((a) => a.startsWith('--'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The environment a bench starts the built service with: production mode on loopback, a bench key and login, its own
 * data folder, no Docker secrets, only PATH of the caller's environment; `extra` adds or overrides settings.
 */
const serviceEnv = ({ port, dataDir, users = { 'bench-user': 'bench-password' }, logLevel = 'warn' }, extra = {}) => ({
  PATH: process.env.PATH,
  NODE_ENV: 'production',
  PORT: String(port),
  HOST: '127.0.0.1',
  SECRET_KEY: 'bench-secret-key-0123456789abcdef',
  USERS: JSON.stringify(users),
  DATA_DIR: dataDir,
  SECRETS_DIR: path.join(dataDir, 'none'),
  LOG_LEVEL: logLevel,
  PUBLIC_ORTHANC_ROOT: 'http://localhost/orthanc/',
  ...extra,
});

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Resident memory of a process and its children (cluster workers), in MB: current (VmRSS) or peak (VmHWM). */
function rssMb(pid, field = 'VmRSS') {
  const pids = [pid];
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/))
      if (child) pids.push(Number(child));
  } catch {
    /* no children file */
  }
  let total = 0;
  for (const p of pids) {
    try {
      const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      /* gone */
    }
  }
  return Math.round(total / 1024);
}

/**
 * CPU time (user + system) a process and its children (cluster workers) have used so far, in ms, from /proc (clock
 * ticks of 10 ms); null where /proc is not there.
 */
function cpuMs(pid) {
  const pids = [pid];
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/))
      if (child) pids.push(Number(child));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const p of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone */
    }
  }
  return ticks * 10;
}

/** Polls until the URL answers below 500; resolves with the milliseconds it took. */
async function waitForHttp(url, timeoutMs = 30000, stepMs = 10) {
  const start = Date.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return Date.now() - start;
    } catch {
      /* not yet */
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no answer from ${url}`);
    await sleep(stepMs);
  }
}

module.exports = {
  cpuMs,
  ROOT,
  MAIN,
  SERVICE_NODE_FLAGS,
  serviceEnv,
  sleep,
  freePort,
  rssMb,
  waitForHttp,
};
