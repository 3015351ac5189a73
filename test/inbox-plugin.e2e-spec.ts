/**
 * docker/keycloak-inbox/inbox-plugin.py inside a real Orthanc: Debian's Orthanc with its Python plugin loads the
 * script as the setup's Orthanc does, and the suite calls the three routes OE2's inbox page calls, with the bodies it
 * sends. What an anonymous visitor may not do is refused (a bad form, a study that is not a pending upload, a
 * malformed body, someone else's commit), and a commit really runs Orthanc's anonymization job.
 *
 * Debian 12 ships Orthanc 1.10, which has no labels (Orthanc 1.12 added them, the setup's image has them): here the
 * commit's labelling step fails, which is how this suite checks that a failed commit leaves the original upload and
 * no partial copy. The labelled end of a successful commit is not run here.
 *
 * Orthanc and its Python plugin are required (Debian's packages orthanc and orthanc-python, system programs like the
 * nginx and docker-compose of the deployment suites). Missing, this suite fails with the command that installs them;
 * it does not skip.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { closedPort } from './support/net';

const ROOT = resolve(__dirname, '..');
const PLUGIN = join(ROOT, 'docker/keycloak-inbox/inbox-plugin.py');
const PYTHON_PLUGIN = '/usr/share/orthanc/plugins/libOrthancPython.so';
const INSTALL = 'install the Debian packages with: sudo apt-get install -y orthanc orthanc-python';

function orthancBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    const path = join(dir, 'Orthanc');
    if (dir && spawnSync(path, ['--version']).status === 0) return path;
  }
  throw new Error(`Orthanc is not installed: ${INSTALL}`);
}

interface RunningOrthanc {
  url: string;
  logs(): string;
  stop(): Promise<void>;
}

/** A throw-away Orthanc loading the inbox plugin; stop() ends it and removes its folder, even after a failed start. */
async function startOrthanc(env: Record<string, string>): Promise<RunningOrthanc> {
  const binary = orthancBinary();
  if (spawnSync('test', ['-f', PYTHON_PLUGIN]).status !== 0)
    throw new Error(`Orthanc's Python plugin is missing: ${INSTALL}`);
  const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-inbox-'));
  let child: ChildProcess | undefined;
  let exited = false;
  let output = '';
  const stop = async () => {
    if (child && !exited) {
      const gone = new Promise<void>((done) => child!.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const port = await closedPort();
    writeFileSync(
      join(work, 'orthanc.json'),
      JSON.stringify({
        Name: 'inbox-test',
        HttpPort: port,
        DicomServerEnabled: false,
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        StorageDirectory: join(work, 'db'),
        IndexDirectory: join(work, 'db'),
        Plugins: [PYTHON_PLUGIN],
        PythonScript: PLUGIN,
        PythonVerbose: false,
      }),
    );
    child = spawn(binary, [join(work, 'orthanc.json')], {
      env: { PATH: process.env.PATH, HOME: work, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', () => (exited = true));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`Orthanc exited during start-up:\n${output}`);
      const up = await fetch(`${url}/system`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`Orthanc did not answer within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { url, logs: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function post(base: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed };
}

/** An uploaded study, as the inbox page's upload makes one; its Orthanc study id. */
async function upload(base: string, patient: string): Promise<string> {
  const res = await post(base, '/tools/create-dicom', {
    Tags: {
      PatientName: `${patient}^Jane`,
      PatientID: patient,
      PatientBirthDate: '19800512',
      PatientSex: 'F',
      StudyDescription: 'CT chest',
      StudyDate: '20260101',
      Modality: 'CT',
    },
  });
  expect(res.status).toBe(200);
  const instance = (await (await fetch(`${base}/instances/${res.body.ID}`)).json()) as { ParentSeries: string };
  const series = (await (await fetch(`${base}/series/${instance.ParentSeries}`)).json()) as { ParentStudy: string };
  return series.ParentStudy;
}

const GOOD_FORM = { SubjectId: 'SUB-253', VisitId: 'T0 + 6 months', Comments: 'second visit', PdfForm: '' };

describe('the inbox plugin of docker/keycloak-inbox inside a real Orthanc', () => {
  let orthanc: RunningOrthanc | undefined;

  beforeAll(async () => {
    orthanc = await startOrthanc({});
  }, 90_000);
  afterAll(async () => {
    await orthanc?.stop();
  }, 30_000);

  it('answers validate-form field by field, as OE2 shows it beside each field', async () => {
    const ok = await post(orthanc!.url, '/plugins/inbox/validate-form', { FormFields: GOOD_FORM });
    expect(ok).toEqual({
      status: 200,
      body: {
        SubjectId: { IsValid: true },
        VisitId: { IsValid: true },
        Comments: { IsValid: true },
        PdfForm: { IsValid: true },
      },
    });
    const bad = await post(orthanc!.url, '/plugins/inbox/validate-form', {
      FormFields: {
        SubjectId: '../../etc',
        VisitId: 'T9',
        Comments: 'x'.repeat(2001),
        PdfForm: 'data:text/html;base64,PGgxPg==',
      },
    });
    expect(bad.status).toBe(200);
    for (const field of ['SubjectId', 'VisitId', 'Comments', 'PdfForm'])
      expect(bad.body[field]).toEqual({ IsValid: false, Message: expect.any(String) });
    const pdf = `data:application/pdf;base64,${Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64')}`;
    const withPdf = await post(orthanc!.url, '/plugins/inbox/validate-form', {
      FormFields: { ...GOOD_FORM, PdfForm: pdf },
    });
    expect(withPdf.body.PdfForm).toEqual({ IsValid: true });
  });

  it('refuses malformed bodies with a 400 JSON message, never a crash', async () => {
    for (const route of ['validate-form', 'commit', 'monitor-processing']) {
      for (const body of ['{', '[]', '"text"']) {
        const res = await post(orthanc!.url, `/plugins/inbox/${route}`, body);
        expect({ route, body, status: res.status, message: typeof res.body.Message }).toEqual({
          route,
          body,
          status: 400,
          message: 'string',
        });
      }
    }
    expect((await fetch(`${orthanc!.url}/plugins/inbox/commit`)).status).toBe(400);
  });

  it('commits only pending uploads: a refused form, an unknown or malformed id, too many studies are 400', async () => {
    const study = await upload(orthanc!.url, 'P-REFUSED');
    const cases: Array<[string, unknown]> = [
      ['bad form', { FormFields: { ...GOOD_FORM, SubjectId: '' }, OrthancStudiesIds: [study] }],
      ['no form', { OrthancStudiesIds: [study] }],
      ['unknown study', { FormFields: GOOD_FORM, OrthancStudiesIds: ['0123abcd-0123abcd-0123abcd-0123abcd-0123abcd'] }],
      ['not an id', { FormFields: GOOD_FORM, OrthancStudiesIds: ['../patients'] }],
      ['no study', { FormFields: GOOD_FORM, OrthancStudiesIds: [] }],
      ['too many', { FormFields: GOOD_FORM, OrthancStudiesIds: Array(51).fill(study) }],
    ];
    for (const [what, body] of cases) {
      const res = await post(orthanc!.url, '/plugins/inbox/commit', body);
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
    }
    // Nothing was touched: the upload is still there, as uploaded.
    const kept = (await (await fetch(`${orthanc!.url}/studies/${study}`)).json()) as {
      PatientMainDicomTags: { PatientID: string };
    };
    expect(kept.PatientMainDicomTags.PatientID).toBe('P-REFUSED');
  });

  it("monitors only a commit it made: someone else's or a guessed id is 404", async () => {
    for (const id of [1, '1', 'x'.repeat(24)]) {
      const res = await post(orthanc!.url, '/plugins/inbox/monitor-processing', { CommitId: id });
      expect({ id, status: res.status }).toEqual({ id, status: 404 });
    }
  });

  it('runs the anonymization job of a commit, and when a step fails keeps the original and no partial copy', async () => {
    const study = await upload(orthanc!.url, 'P-COMMIT');
    const before = (await (await fetch(`${orthanc!.url}/studies`)).json()) as string[];
    const commit = await post(orthanc!.url, '/plugins/inbox/commit', {
      FormFields: GOOD_FORM,
      OrthancStudiesIds: [study],
    });
    expect(commit).toEqual({
      status: 200,
      body: { CommitId: expect.stringMatching(/^[\w-]{24}$/), Message: expect.any(String) },
    });
    // The same study cannot be committed twice while its commit runs.
    const again = await post(orthanc!.url, '/plugins/inbox/commit', {
      FormFields: GOOD_FORM,
      OrthancStudiesIds: [study],
    });
    expect(again.status).toBe(400);

    let status: any;
    const deadline = Date.now() + 60_000;
    do {
      await new Promise((r) => setTimeout(r, 250));
      status = (await post(orthanc!.url, '/plugins/inbox/monitor-processing', commit.body)).body;
      if (Date.now() > deadline) throw new Error(`the commit did not complete within 60 s: ${JSON.stringify(status)}`);
    } while (!status.IsComplete);

    // The job really ran (Orthanc logged the anonymized copy's job); Orthanc 1.10 has no labels, so labelling the copy
    // failed: the commit says so, the copy is gone, the original upload is kept for an administrator.
    const jobs = (await (await fetch(`${orthanc!.url}/jobs?expand`)).json()) as Array<{ Type: string; State: string }>;
    expect(jobs.filter((j) => j.Type === 'ResourceModification').map((j) => j.State)).toEqual(['Success']);
    expect(status).toEqual({
      PctProcessed: 100,
      HasFailed: true,
      IsComplete: true,
      Message: expect.stringContaining('kept'),
    });
    expect(((await (await fetch(`${orthanc!.url}/studies`)).json()) as string[]).sort()).toEqual(before.sort());
    expect(orthanc!.logs()).toContain(`INBOX: study ${study} could not be processed`);
    // Once that commit is over, the upload may be committed again.
    const retry = await post(orthanc!.url, '/plugins/inbox/commit', {
      FormFields: GOOD_FORM,
      OrthancStudiesIds: [study],
    });
    expect(retry.status).toBe(200);
  }, 90_000);

  it('refuses a study that is no longer a recent upload (INBOX_PENDING_SECONDS)', async () => {
    const strict = await startOrthanc({ INBOX_PENDING_SECONDS: '1' });
    try {
      const study = await upload(strict.url, 'P-OLD');
      await new Promise((r) => setTimeout(r, 2_500));
      const res = await post(strict.url, '/plugins/inbox/commit', {
        FormFields: GOOD_FORM,
        OrthancStudiesIds: [study],
      });
      expect(res).toEqual({ status: 400, body: { Message: expect.stringContaining('not a recent upload') } });
      expect((await fetch(`${strict.url}/studies/${study}`)).status).toBe(200);
    } finally {
      await strict.stop();
    }
  }, 90_000);

  it('is the file the setup mounts into its Orthanc', () => {
    const compose = readFileSync(join(ROOT, 'docker/keycloak-inbox/docker-compose.yml'), 'utf8');
    expect(compose).toContain('- ./inbox-plugin.py:/scripts/inbox-plugin.py:ro');
  });
});
