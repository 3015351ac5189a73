import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Env, signingKeysConfig } from '@app/common';
import { ShareTokenCodec } from '@app/tokens';
import { ConfigSource, loadConfigNamespaces } from '../app.config';
import {
  decodeCursor,
  encodeCursor,
  ListSharesQuery,
  sharesConfig,
  notRevocableReason,
  openShareStore,
  ShareAccessView,
  ShareAdmin,
  ShareProtectionView,
  ShareStore,
  ShareUnlock,
  ShareView,
  toAccessView,
  toProtectionView,
  toShareView,
  TokenNotRecognisedError,
} from '@app/shares';

/**
 * `npm run shares -- list|show <id>|revoke <id>|revoke-token <token>`: the share registry from a shell, with the
 * service's own configuration (same variables, same storage). Safe while the service runs: SQLite is in WAL mode
 * and the service reads new revocations every second; with PostgreSQL the revocation is NOTIFYed to every replica.
 */
const USAGE = `usage: npm run shares -- <command>
  list [--study UID] [--orthanc-id ID] [--type TYPE] [--creator NAME] [--active true|false] [--limit N]
       [--cursor C] [--count] [--json]     newest first; --cursor: the next page (printed after each page)
  show <id> [--json]                       the share, how it opens and its access trail
  revoke <id>
  revoke-token <token>
The storage is the service's: DATABASE_URL, else SHARES_SQLITE_PATH, else DATA_DIR/shares.sqlite.`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

class UsageError extends Error {}

function parseOptions(args: string[]): { flags: Record<string, string>; json: boolean } {
  const flags: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') {
      json = true;
      continue;
    }
    if (a === '--count') {
      flags.count = 'true';
      continue;
    }
    if (!a.startsWith('--') || i + 1 >= args.length) throw new UsageError(`unexpected argument "${a}"`);
    flags[a.slice(2)] = args[++i];
  }
  return { flags, json };
}

async function listQuery(flags: Record<string, string>) {
  const known = new Set(['study', 'orthanc-id', 'type', 'creator', 'active', 'limit', 'cursor', 'count', 'offset']);
  for (const k of Object.keys(flags)) if (!known.has(k)) throw new UsageError(`unknown option --${k}`);
  const q = plainToInstance(ListSharesQuery, flags);
  const errors = await validate(q, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw new UsageError(errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; '));
  return {
    study: q.study,
    orthancId: q['orthanc-id'],
    type: q.type,
    creator: q.creator,
    active: q.active,
    limit: q.limit ?? 50,
    before: q.cursor !== undefined ? (decodeCursor(q.cursor) ?? undefined) : undefined,
    count: q.count === true,
  };
}

/** A share of the list with what the table shows of its protection and trail. */
type ListedShare = ShareView & { protection: ShareProtectionView | null; access: ShareAccessView };

/** How a link opens, in a few words: `-`, `password`, `code (2 addresses)`, with today's failures and a lock. */
function protectionText(p: ShareProtectionView | null): string {
  if (!p) return '-';
  const kind = p.kind === 'password' ? 'password' : `code (${p['bound-addresses']})`;
  const failures = p.failures ? `, ${p.failures} failed today` : '';
  return `${kind}${failures}${p['locked-until'] ? ', closed to new addresses' : ''}`;
}

const opensOf = (a: ShareAccessView): number => Object.values(a.counts['page-open'] ?? {}).reduce((n, c) => n + c, 0);

function table(rows: ListedShare[]): string {
  const head = [
    'id',
    'status',
    'type',
    'study / orthanc id',
    'creator',
    'created',
    'expires',
    'protection',
    'opens',
    'last opened',
  ];
  const lines = rows.map((s) => [
    s.id.length > 40 ? `${s.id.slice(0, 39)}…` : s.id,
    s.status,
    s.type,
    s.resources.map((r) => r['dicom-uid'] ?? r['orthanc-id'] ?? '').join(' '),
    s.creator ? s.creator.name : '',
    s['created-at'] ?? '',
    s['expires-at'] ?? 'never',
    protectionText(s.protection),
    String(opensOf(s.access)),
    s.access['last-opened'] ?? '-',
  ]);
  return columns(head, lines);
}

/** Rows as aligned columns (two spaces between), the first row a header. */
function columns(head: string[], lines: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [head, ...lines]
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `show`'s text: the share's fields, how it opens, its counts and its newest events, as aligned tables. */
function showText(v: ShareView & { protection: ShareProtectionView | null; access: ShareAccessView }): string {
  const fields: [string, string][] = [
    ['id', v.id],
    ['status', v.status],
    ['type', v.type],
    ...v.resources.map((r): [string, string] => ['resource', `${r.level} ${r['dicom-uid'] ?? r['orthanc-id'] ?? ''}`]),
    ['creator', v.creator ? `${v.creator.name} (${v.creator.kind})` : '-'],
    ['created', v['created-at'] ?? '-'],
    ['expires', v['expires-at'] ?? 'never'],
    ['revoked', v['revoked-at'] ? `${v['revoked-at']} by ${v['revoked-by'] ?? '?'}` : '-'],
    ...(v['parent-id'] ? [['parent', v['parent-id']] as [string, string]] : []),
    ['protection', protectionText(v.protection)],
    ['opens', String(opensOf(v.access))],
    ['first opened', v.access['first-opened'] ?? '-'],
    ['last opened', v.access['last-opened'] ?? '-'],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const out = fields.map(([k, val]) => `${k.padEnd(width)}  ${val}`);
  const counts = Object.entries(v.access.counts).flatMap(([kind, by]) =>
    Object.entries(by).map(([outcome, n]) => [kind, outcome, String(n)]),
  );
  if (counts.length) out.push('', columns(['event', 'outcome', 'count'], counts));
  const recent = v.access.recent.map((e) => [
    e.at,
    e.kind,
    e.outcome,
    e.reason ?? '',
    e['child-id'] ?? '',
    e['client-address'] ?? '',
  ]);
  if (recent.length) {
    out.push('', `newest events (at most ${v.access['recent-limit']}):`);
    out.push(columns(['at', 'event', 'outcome', 'reason', 'child', 'client address'], recent));
  }
  return out.join('\n');
}

/** Runs one command; resolves to the exit code (0 done, 1 not found or refused, 2 usage). */
export async function runSharesCli(
  argv: string[],
  env: Env,
  io: CliIo,
  envFile: ConfigSource['envFile'] = false,
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  // The environment (and the .env file, as the service reads it) is read here, once: the registry's settings, and the
  // signing keys for the one command that checks a token's signature (the CLI needs no caller login, so not the whole
  // core configuration).
  const [config, signingKeys] =
    command === 'revoke-token'
      ? await loadConfigNamespaces([sharesConfig, signingKeysConfig], { env, envFile })
      : [...(await loadConfigNamespaces([sharesConfig], { env, envFile })), null];
  const by = `cli:${userInfo().username}`;
  const protectionOf = async (st: ShareStore, id: string) => {
    const p = await st.getProtection(id);
    // Today's counts, as GET /shares/{id} gives them (the signing key is not needed to read them).
    return toProtectionView(p && (await new ShareUnlock(st, config.unlock, '').withCounts(p)));
  };
  const accessOf = async (st: ShareStore, id: string, recent = config.trail.recentEvents) => {
    const { retentionDays } = config.trail;
    const since = new Date(Date.now() - retentionDays * 86_400_000);
    return toAccessView(await st.accessOf(id, recent, since), { recentLimit: recent, retentionDays });
  };
  let store: ShareStore | null = null;
  const open = async () => (store = await openShareStore(config.storage));
  try {
    switch (command) {
      case 'list': {
        const { flags, json } = parseOptions(rest);
        const query = await listQuery(flags);
        const st = await open();
        const page = await st.list(query, new Date());
        const views: ListedShare[] = [];
        // A protected link's protection and trail: two point reads each, for the (bounded) page only.
        for (const share of page.shares) {
          const protection = await protectionOf(st, share.id);
          const access = await accessOf(st, share.id, 1);
          views.push({ ...toShareView(share), protection, access });
        }
        const next = page.next !== null ? encodeCursor(page.next) : null;
        const total = page.total ? { total: page.total.count, 'total-exact': page.total.exact } : {};
        if (json) {
          const shares = views.map(({ protection: _p, access: _a, ...v }) => v);
          io.out(JSON.stringify({ limit: query.limit, shares, 'next-cursor': next, ...total }, null, 2));
        } else {
          const counted = page.total ? `; ${page.total.exact ? '' : 'at least '}${page.total.count} in all` : '';
          const more = next ? `; next page: --cursor ${next}` : '';
          io.out(`${table(views)}\n(${views.length} shown${counted}${more})`);
        }
        return 0;
      }
      case 'show':
      case 'revoke': {
        const json = command === 'show' && rest.includes('--json');
        if (json) rest.splice(rest.indexOf('--json'), 1);
        if (rest.length !== 1) throw new UsageError(`${command} takes one share id`);
        const s = await open();
        const existing = command === 'revoke' ? await s.get(rest[0]) : null;
        const refused = existing ? notRevocableReason(existing) : null;
        if (refused) {
          io.err(refused);
          return 1;
        }
        const share = command === 'show' ? await s.get(rest[0]) : await s.revoke(rest[0], by, new Date());
        if (!share) {
          io.err(`no share with the id "${rest[0]}"`);
          return 1;
        }
        if (command === 'show') {
          // What the running service has written (it writes its trail every second and when it stops).
          const view = {
            ...toShareView(share),
            protection: await protectionOf(s, share.id),
            access: await accessOf(s, share.id),
          };
          io.out(json ? JSON.stringify(view, null, 2) : showText(view));
          return 0;
        }
        io.out(JSON.stringify(toShareView(share), null, 2));
        return 0;
      }
      case 'revoke-token': {
        if (rest.length !== 1) throw new UsageError('revoke-token takes one token');
        // The codec made as TokensModule makes the service's.
        const codec = ShareTokenCodec.fromKeys(signingKeys!);
        const share = await new ShareAdmin(await open(), codec).revokeToken(rest[0], by);
        io.out(JSON.stringify(toShareView(share), null, 2));
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof TokenNotRecognisedError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  } finally {
    await (store as ShareStore | null)?.close();
  }
}

if (require.main === module) {
  const io = { out: (t: string) => process.stdout.write(`${t}\n`), err: (t: string) => process.stderr.write(`${t}\n`) };
  // The service's .env file too, when present (the environment wins over it).
  runSharesCli(process.argv.slice(2), process.env, io, resolve('.env')).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
