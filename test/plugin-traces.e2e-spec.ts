import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, startApp } from './support/app';
import { RawAnswer, rawRequest } from './support/net';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

/**
 * Replay of what the real Orthanc authorization plugin (0.11.4, Orthanc 1.12.7, DICOMweb 1.20) sent to its auth
 * service for 36 viewer, REST, write and anonymous scenarios (test/fixtures/plugin-traces/, README there). Every
 * recorded call is sent as recorded: same path, same headers in the same order (`Basic share-user` is the real Basic
 * credential of share-user:change-me), the same compact JSON body, framed with Transfer-Encoding: chunked. The service
 * runs with the recording's secret, users, public roots and anonymous-profile file, so that each answer can be held
 * against the Python service's recorded answer field by field. Where this service deliberately answers differently,
 * the scenario's name says so and why.
 */

const TRACES_FILE = join(__dirname, 'fixtures/plugin-traces/orthanc-1.12.7-authorization-0.11.4.json');

interface PluginCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  'answer-from-python-service': unknown;
  'answer-sent-to-plugin'?: unknown;
}
interface Scenario {
  name: string;
  group: string;
  description: string;
  token: { type: string; token: string; request: { resources: Record<string, unknown>[] } } | null;
  'orthanc-request': { method: string; path: string; credential: string; headers?: Record<string, string> };
  'plugin-calls': PluginCall[];
  'orthanc-status-with-python-service': number | null;
}
interface Traces {
  'recorded-with': {
    'plugin-config': Record<string, unknown>;
    'python-service': { environment: Record<string, string>; 'anonymous-profile': Record<string, unknown> };
  };
  'secret-key': string;
  users: Record<string, string>;
  scenarios: Scenario[];
}

const traces = JSON.parse(readFileSync(TRACES_FILE, 'utf8')) as Traces;
const python = traces['recorded-with']['python-service'];
const ANONYMOUS = python['anonymous-profile'];
const [[LOGIN, PASSWORD]] = Object.entries(traces.users);
const RECORDED_BASIC = `Basic ${LOGIN}`;
const REAL_BASIC = `Basic ${Buffer.from(`${LOGIN}:${PASSWORD}`).toString('base64')}`;
const DENIED = { granted: false, validity: 60 };

/** One recorded plugin call, on the wire as the plugin sent it: headers in order, chunked body, no Content-Length. */
function replay(base: URL, call: PluginCall): Promise<RawAnswer> {
  const raw: string[] = ['Host', base.host];
  for (const [name, value] of Object.entries(call.headers)) {
    raw.push(name, name.toLowerCase() === 'authorization' && value === RECORDED_BASIC ? REAL_BASIC : value);
  }
  raw.push('Transfer-Encoding', 'chunked');
  // The plugin's body: compact JSON, the recorded key order (alphabetical), in one chunk.
  return rawRequest(
    {
      host: base.hostname,
      port: base.port,
      method: call.method,
      path: base.pathname + call.path.slice(1),
      headers: raw,
    },
    JSON.stringify(call.body),
    call.path,
  );
}

const wire = (r: Record<string, unknown>) => ({
  'dicom-uid': r['dicom-uid'] ?? null,
  'orthanc-id': r['orthanc-id'] ?? null,
  url: r.url ?? null,
  level: r.level,
});

/**
 * What this service must answer to one recorded call: the Python service's answer, except where this service
 * deliberately differs (each with its reason, which goes into the scenario's test name).
 */
function expectedAnswer(s: Scenario, call: PluginCall): { answer: unknown; differs?: string } {
  const recorded = call['answer-from-python-service'];
  if (call.path === '/tokens/validate' && ['put', 'delete'].includes(call.body.method as string)) {
    return {
      answer: DENIED,
      differs: (recorded as { granted: boolean }).granted
        ? `its ${call.body.method as string} is refused (the Python service granted it: a share token never writes)`
        : undefined,
    };
  }
  if (call.path === '/tokens/decode' && s.token && /-instant-link$/.test(s.token.type)) {
    return {
      answer: {
        'token-type': s.token.type,
        'error-code': null,
        'redirect-url': null,
        resources: s.token.request.resources.map(wire),
      },
      differs:
        'decode returns the instant link its resources (the Python service answers "unknown" and none, and Orthanc refused the search)',
    };
  }
  return { answer: recorded };
}

function outcomeOf(call: PluginCall, json: unknown): string {
  if (call.path === '/user/get-profile') return 'profile';
  if (call.path === '/tokens/decode') return 'decoded';
  return (json as { granted?: boolean })?.granted ? 'granted' : 'denied';
}

/** The outcome Orthanc needs from each scenario (issue 11), independently of the Python service's answers. */
function needs(s: Scenario): (call: PluginCall, i: number) => string | undefined {
  const validates = (c: PluginCall) => c.path === '/tokens/validate';
  const carriesToken = (c: PluginCall) => typeof c.body['token-value'] === 'string' && c.body['token-value'] !== '';
  if (s.group === 'anonymous') return (c) => (validates(c) ? 'denied' : 'profile');
  if (/other-study/.test(s.name)) return (c) => (validates(c) ? 'denied' : 'profile');
  if (s.group === 'write')
    return (c) => {
      if (!validates(c)) return 'profile';
      // The POST writes reach validate exactly as a DICOMweb read's post: granted here, refused by the write guard.
      return c.body.method === 'post' ? 'granted' : 'denied';
    };
  // Reads: every validate call that carries the token is granted; the calls that lost it (a `?token=` argument is
  // not passed to the DICOMweb plugin's internal tools/find) are refused, as they were with the Python service.
  return (c) => {
    if (c.path === '/user/get-profile') return 'profile';
    if (c.path === '/tokens/decode') return 'decoded';
    return carriesToken(c) ? 'granted' : 'denied';
  };
}

/** Why a call's outcome is what it is, where the recording alone would not say. */
function noteOn(s: Scenario, c: PluginCall): string {
  if (c.path !== '/tokens/validate') return '';
  if (s.group === 'write' && c.body.method === 'post')
    return " (the body of a DICOMweb read's post: the proxy's write guard refuses this write)";
  if (s.token && c.body['token-value'] === undefined)
    return " (no token: the plugin drops ?token= on DICOMweb's internal tools/find, so viewers send it as a header)";
  return '';
}

describe('replay of the real Orthanc authorization plugin (0.11.4) traffic', () => {
  let svc: RunningApp;
  let base: URL;
  let work: string;
  const tally = new Map<string, { scenarios: number; calls: number; [outcome: string]: number }>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'orthanc-auth-traces-'));
    const anonymousFile = join(work, 'anonymous-profile.json');
    writeFileSync(anonymousFile, JSON.stringify(ANONYMOUS));
    svc = await startApp({
      ...python.environment,
      SECRET_KEY: traces['secret-key'],
      USERS: JSON.stringify(traces.users),
      ANONYMOUS_PROFILE_FILE_PATH: anonymousFile,
    });
    base = new URL(`${svc.url}/`);
  });

  afterAll(async () => {
    await svc?.close();
    if (work) rmSync(work, { recursive: true, force: true });
    const lines = [...tally.entries()].map(([group, t]) => `${group}: ${JSON.stringify(t)}`);
    process.stdout.write(`[plugin-traces] replayed per scenario group:\n  ${lines.join('\n  ')}\n`);
  });

  it('replays the whole recording: 36 scenarios, 81 plugin calls, with the profile file the recording used', () => {
    expect(traces.scenarios).toHaveLength(36);
    expect(traces.scenarios.reduce((n, s) => n + s['plugin-calls'].length, 0)).toBe(81);
    expect(ANONYMOUS).toEqual({
      name: 'Anonymous',
      'user-id': null,
      'authorized-labels': [],
      permissions: ['upload'],
      groups: [],
      validity: 60,
    });
  });

  const rows = traces.scenarios.map((s) => {
    const differences = [...new Set(s['plugin-calls'].map((c) => expectedAnswer(s, c).differs).filter(Boolean))];
    const need = needs(s);
    const summary = s['plugin-calls'].length
      ? s['plugin-calls']
          .map((c, i) => {
            const what = `${c.path.replace(/^\/(tokens|user)\//, '')}${c.body.method ? ` ${c.body.method as string}` : ''}`;
            return `${what} ${need(c, i)}${noteOn(s, c)}`;
          })
          .join(', ')
      : 'no call';
    const title = `${s.group} ${s.name}: ${summary}${differences.length ? `; differs: ${differences.join('; ')}` : ''}`;
    return [title, s] as [string, Scenario];
  });

  it.each(rows)('%s', async (_title, s) => {
    const need = needs(s);
    const t = tally.get(s.group) ?? { scenarios: 0, calls: 0 };
    tally.set(s.group, t);
    t.scenarios++;
    for (const [i, call] of s['plugin-calls'].entries()) {
      const res = await replay(base, call);
      const label = `${s.name} call ${i + 1} (${call.path} ${JSON.stringify(call.body.method ?? '')})`;
      // The plugin takes anything but a 2xx JSON body for a failure.
      expect({ label, status: res.status, type: res.contentType }).toEqual({
        label,
        status: 200,
        type: expect.stringMatching(/^application\/json/),
      });
      const { answer } = expectedAnswer(s, call);
      expect({ label, answer: res.json }).toEqual({ label, answer });
      const outcome = outcomeOf(call, res.json);
      expect({ label, outcome }).toEqual({ label, outcome: need(call, i) });
      if (outcome === 'profile') expect({ label, profile: res.json }).toEqual({ label, profile: ANONYMOUS });
      t.calls++;
      t[outcome] = (t[outcome] ?? 0) + 1;
    }
  });
});
