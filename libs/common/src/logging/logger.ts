import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger } from 'pino';
import type { LogLevel } from '../config/core.config';
import { REDACT_PATHS, REDACTED, secretScrubber } from './redaction';

export type LogFormat = 'json' | 'pretty';

export interface RootLoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** The configured secret values, blanked out of every line (see redaction.ts). */
  secrets: Iterable<string | undefined | null>;
  /** Where the lines go: stdout by default; tests pass a collector (JSON lines). */
  destination?: DestinationStream;
}

/** pino-pretty is a development dependency: without it (a production image), the lines stay JSON. */
function prettyStream(): DestinationStream | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (opts: object) => DestinationStream;
    return pretty({
      // isTTY is undefined on a pipe, whatever @types/node declares.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
      colorize: process.stdout.isTTY === true,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  } catch {
    return null;
  }
}

/** The process's one pino logger: one JSON line per event, ISO time, secrets redacted and scrubbed. */
export function createRootLogger(opts: RootLoggerOptions): Logger {
  const scrub = secretScrubber(opts.secrets);
  const destination =
    opts.destination ?? (opts.format === 'pretty' ? prettyStream() : null) ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      name: 'orthanc-auth',
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: scrub },
    },
    destination,
  );
}

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
const PINO_LEVEL: Record<NestLevel, Level> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};
/** Nest's start-up chatter (one line per module and route) is debug detail, not an operator's info. */
const FRAMEWORK_CONTEXTS: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * A message with fields of its own: `logger.error({ msg: '...', reqId })` through Nest's Logger writes `reqId` as a
 * field of the JSON line (Nest's ConsoleLogger would print the object).
 */
interface LoggedMessage {
  msg: string;
  [field: string]: unknown;
}

const isLoggedMessage = (m: unknown): m is LoggedMessage =>
  typeof m === 'object' && m !== null && !(m instanceof Error) && typeof (m as { msg?: unknown }).msg === 'string';

/**
 * Nest's LoggerService on pino: `new Logger(X.name)` lines become JSON lines with `context`; a LoggedMessage's
 * fields (e.g. `reqId`) become fields of the line. An error's stack goes in `stack`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(nestLevel: NestLevel, message: unknown, params: unknown[]): void {
    const rest = [...params];
    // Nest appends the Logger's context last; error() takes a stack first.
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const level = nestLevel === 'log' && context && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : PINO_LEVEL[nestLevel];
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if ((nestLevel === 'error' || nestLevel === 'fatal') && typeof rest[0] === 'string') fields.stack = rest.shift();
    let text: string;
    if (isLoggedMessage(message)) {
      const { msg, ...extra } = message;
      for (const [k, v] of Object.entries(extra)) if (!(k in fields)) fields[k] = v;
      text = msg;
    } else if (message instanceof Error) {
      text = message.message;
      fields.stack ??= message.stack;
    } else if (typeof message === 'string') {
      text = message;
    } else {
      text = safeJson(message);
    }
    this.pino[level](fields, text);
  }
}

function safeJson(value: unknown): string {
  try {
    // JSON.stringify answers undefined for undefined, a function or a symbol, though typed string.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
