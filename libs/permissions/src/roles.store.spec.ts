import { Logger } from '@nestjs/common';
import { DomainError, InvalidInputError } from '@app/common';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicAsync } from '@app/common';
import { parseRolesFile } from './permissions-files';
import type { RolesConfig } from './role-mapping';
import { serializeRolesConfig } from './roles-config';
import { AtomicFileWriter, RolesStore } from './roles.store';

const initial: RolesConfig = {
  roles: { 'doctor-role': { permissions: ['view', 'download'], 'authorized-labels': ['*'] } },
  'available-labels': [],
};

function version(n: number): RolesConfig {
  return {
    roles: { [`role-${n}`]: { permissions: ['view'], 'authorized-labels': [`label-${n}`] } },
    'available-labels': Array.from({ length: 200 }, (_, i) => `label-${n}-${i}`),
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('RolesStore', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roles-store-'));
    file = join(dir, 'permissions.json');
    writeFileSync(file, '// original\n' + serializeRolesConfig(initial));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the initial configuration from memory, frozen', () => {
    const store = new RolesStore(file, initial);
    expect(store.get()).toEqual(initial);
    expect(() => {
      (store.get().roles['doctor-role'].permissions as string[]).push('delete');
    }).toThrow(/not extensible/);
  });

  it('replaces memory and file with the canonical kebab-case form and answers it', async () => {
    const store = new RolesStore(file, initial);
    const answer = await store.replace({
      roles: { 'nurse-role': { permissions: ['upload'], authorized_labels: ['ward'] } },
      available_labels: ['ward'],
    });
    const expected = {
      roles: { 'nurse-role': { permissions: ['upload'], 'authorized-labels': ['ward'] } },
      'available-labels': ['ward'],
    };
    expect(answer).toEqual(expected);
    expect(store.get()).toEqual(expected);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(expected);
    expect(readdirSync(dir)).toEqual(['permissions.json']);
  });

  it('rejects an unknown permission with a 400 naming it, without touching memory or disk', async () => {
    const before = readFileSync(file, 'utf8');
    const writer = jest.fn<Promise<void>, [string, string]>();
    const store = new RolesStore(file, initial, writer);
    const err = await rejection(store.replace({ roles: { r: { permissions: ['view', 'launch-missiles'] } } }));
    expect(err).toBeInstanceOf(InvalidInputError);
    const body = { message: (err as DomainError).messages };
    expect(body.message[0]).toContain('roles.r.permissions[1]');
    expect(body.message[0]).toContain('"launch-missiles"');
    expect(writer).not.toHaveBeenCalled();
    expect(store.get()).toEqual(initial);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('rejects a wrong shape with a 400 naming the field', async () => {
    const store = new RolesStore(file, initial);
    const err = await rejection(store.replace({ roles: { r: { permissions: 'view' } } }));
    expect((err as DomainError).messages[0]).toMatch(/^roles\.r\.permissions /);
    expect(store.get()).toEqual(initial);
  });

  it('answers 507 when the disk is full and changes neither memory nor the file (injected ENOSPC)', async () => {
    const before = readFileSync(file, 'utf8');
    const full: AtomicFileWriter = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const store = new RolesStore(file, initial, full);
    const err = await rejection(store.replace(version(1)));
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('storage-full');
    expect((err as DomainError).status).toBe(507);
    expect((err as DomainError).message).toMatch(/no space/i);
    expect(store.get()).toEqual(initial);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('answers 500 with a clear message when the real atomic write fails (its folder is gone), changing nothing in memory', async () => {
    const store = new RolesStore(join(dir, 'missing-folder', 'permissions.json'), initial);
    const err = await rejection(store.replace(version(1)));
    expect((err as DomainError).status).toBe(500);
    expect((err as DomainError).message).toMatch(
      /Could not write the roles file .*missing-folder.* \(ENOENT\); the roles configuration is unchanged/,
    );
    expect(store.get()).toEqual(initial);
  });

  it('removes its temporary file and changes nothing in memory when the rename fails (real writer, target is a folder)', async () => {
    const target = join(dir, 'is-a-folder');
    mkdirSync(target);
    const store = new RolesStore(target, initial);
    const err = await rejection(store.replace(version(1)));
    expect((err as DomainError).status).toBe(500);
    expect(store.get()).toEqual(initial);
    expect(readdirSync(dir).sort()).toEqual(['is-a-folder', 'permissions.json']);
  });

  it('serialises concurrent replacements: one write at a time, in call order, the last one wins on disk and in memory', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: string[] = [];
    const releases: (() => void)[] = [];
    const gated: AtomicFileWriter = async (path, content) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      order.push(Object.keys(JSON.parse(content).roles)[0]);
      await new Promise<void>((resolve) => releases.push(resolve));
      await writeFileAtomicAsync(path, content);
      inFlight--;
    };
    const store = new RolesStore(file, initial, gated);
    const pending = [1, 2, 3, 4, 5].map((n) => store.replace(version(n)));
    // Release the writes one by one; each release lets exactly one more writer start.
    for (let i = 0; i < 5; i++) {
      while (releases.length <= i) await new Promise((r) => setImmediate(r));
      expect(inFlight).toBe(1);
      expect(store.get()).toEqual(i === 0 ? initial : version(i));
      releases[i]();
    }
    const answers = await Promise.all(pending);
    expect(answers).toEqual([1, 2, 3, 4, 5].map(version));
    expect(maxInFlight).toBe(1);
    expect(order).toEqual(['role-1', 'role-2', 'role-3', 'role-4', 'role-5']);
    expect(store.get()).toEqual(version(5));
    expect(parseRolesFile(readFileSync(file, 'utf8'), file)).toEqual(version(5));
  });

  it('with the real writer, many concurrent replacements leave one complete version on disk, equal to memory', async () => {
    const store = new RolesStore(file, initial);
    const results = await Promise.all(Array.from({ length: 30 }, (_, n) => store.replace(version(n))));
    expect(results).toHaveLength(30);
    const onDisk = parseRolesFile(readFileSync(file, 'utf8'), file);
    expect(onDisk).toEqual(version(29));
    expect(store.get()).toEqual(onDisk);
    expect(readdirSync(dir)).toEqual(['permissions.json']);
  });

  it('keeps going after a failed write in the queue: later replacements still apply', async () => {
    let calls = 0;
    const flaky: AtomicFileWriter = async (path, content) => {
      calls++;
      if (calls === 2) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      await writeFileAtomicAsync(path, content);
    };
    const store = new RolesStore(file, initial, flaky);
    const settled = await Promise.allSettled([
      store.replace(version(1)),
      store.replace(version(2)),
      store.replace(version(3)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.get()).toEqual(version(3));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(version(3));
  });

  it('after a failed write, memory still matches the last good file', async () => {
    let fail = false;
    const writer: AtomicFileWriter = async (path, content) => {
      if (fail) throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
      await writeFileAtomicAsync(path, content);
    };
    const store = new RolesStore(file, initial, writer);
    await store.replace(version(1));
    fail = true;
    const err = await rejection(store.replace(version(2)));
    expect((err as DomainError).status).toBe(500);
    expect((err as DomainError).message).toContain('EROFS');
    expect(store.get()).toEqual(version(1));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(version(1));
  });
});
