import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../apps/auth-service/src/app.config';
import { createApp } from '../../apps/auth-service/src/setup-app';

export interface RunningApp {
  app: NestFastifyApplication;
  /** http://127.0.0.1:PORT (plus the URL prefix, if any) */
  url: string;
  dataDir: string;
  /** The JSON log lines written so far, when started with `{ captureLogs: true }` (otherwise nothing is logged). */
  logs: string[];
  close(): Promise<void>;
}

export const TEST_USERS = { 'share-user': 'change-me' };
export const BASIC = `Basic ${Buffer.from('share-user:change-me').toString('base64')}`;

/**
 * The environment the suites run the service with: the test callers and key, a data folder, no Docker secrets, and
 * nothing of the developer's own environment but PATH; `env` adds or overrides.
 */
export function testEnv(
  dataDir: string,
  env: Record<string, string> = {},
  from: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  return {
    PATH: from.PATH,
    NODE_ENV: 'test',
    SECRETS_DIR: join(dataDir, 'no-secrets'),
    USERS: JSON.stringify(TEST_USERS),
    SECRET_KEY: 'test-secret-key-for-the-e2e-suites-only',
    DATA_DIR: dataDir,
    ...env,
  };
}

/**
 * Starts the whole service on a real listening socket (port 0), with exactly the given environment: nothing of the
 * developer's own environment leaks in. A fresh data folder is made unless DATA_DIR is given.
 */
export async function startApp(
  env: Record<string, string> = {},
  opts: { captureLogs?: boolean } = {},
): Promise<RunningApp> {
  const logs: string[] = [];
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'orthanc-auth-test-'));
  // The data folder made here is removed on close, and at once when the start fails (a test expecting it to fail).
  const removeDataDir = () => {
    if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
  };
  let created: Awaited<ReturnType<typeof createApp>>;
  try {
    // Read and checked once, as main.ts does with process.env; the application never reads the environment itself.
    created = await createApp(
      await loadAppConfig({ env: testEnv(dataDir, env) }),
      opts.captureLogs ? { logStream: { write: (line: string) => void logs.push(line) } } : { logger: false },
    );
  } catch (err) {
    removeDataDir();
    throw err;
  }
  const { app, core } = created;
  try {
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    // Built but not listening (a start-up hook failed): close what it opened (pools, timers) before reporting it.
    await app.close().catch(() => undefined);
    removeDataDir();
    throw err;
  }
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}${core.prefix}`,
    dataDir,
    logs,
    async close() {
      await app.close();
      removeDataDir();
    },
  };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Told of every answer `call` receives, before `call` returns it (the OpenAPI contract check listens). */
type AnswerListener = (base: string, method: string, path: string, res: JsonResponse) => Promise<void>;
const answerListeners = new Set<AnswerListener>();

/** Adds a listener of every answer `call` receives; returns its removal. */
export function onAnswer(listener: AnswerListener): () => void {
  answerListeners.add(listener);
  return () => answerListeners.delete(listener);
}

/** A request with the caller's Basic credentials unless `auth: null`; the body is sent as JSON. */
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { auth?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const auth = opts.auth === undefined ? BASIC : opts.auth;
  if (auth) headers.authorization = auth;
  let payload: string | undefined = opts.raw;
  if (body !== undefined && payload === undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const answer = { status: res.status, headers: res.headers, body: parsed, text };
  for (const listener of answerListeners) await listener(base, method, path, answer);
  return answer;
}
