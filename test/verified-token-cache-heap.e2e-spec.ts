import { execFile } from 'node:child_process';
import { join } from 'node:path';

// The verified-token cache against V8's heap, measured in a fresh process (test/support/verified-token-cache-heap.ts:
// a jest worker's heap carries what the suites before left). Before the byte bound, 10,000 tokens of 64 KiB could be
// kept, ~1 GB; 800 of them held 85 MB.

interface HeapReport {
  perEntry: Array<{ tokenLength: number; entries: number; estimated: number; measured: number }>;
  flood: { grown: number; entries: number; estimated: number; bound: number };
}

const MiB = 1024 * 1024;

function measure(): Promise<HeapReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '-r', './test/support/ts-register.cjs', 'test/support/verified-token-cache-heap.ts'],
      { cwd: join(__dirname, '..'), env: { PATH: process.env.PATH! }, timeout: 100_000, maxBuffer: MiB },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`the heap measure failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as HeapReport);
      },
    );
  });
}

describe('the verified-token cache on the heap', () => {
  let report: HeapReport;
  beforeAll(async () => {
    report = await measure();
  }, 120_000);

  it('estimates what V8 holds per entry within 15%, for large and small tokens', () => {
    for (const { tokenLength, estimated, measured } of report.perEntry) {
      const ratio = estimated / measured;
      expect({ tokenLength, estimated, measured, within15Percent: ratio > 0.85 && ratio < 1.15 }).toEqual({
        tokenLength,
        estimated,
        measured,
        within15Percent: true,
      });
    }
  });

  it('holds about its byte bound (8 MiB) under a flood of 64 KiB tokens, not 10,000 of them', () => {
    const { grown, entries, estimated, bound } = report.flood;
    expect(grown).toBeLessThan(bound * 1.5);
    expect(estimated).toBeLessThanOrEqual(bound);
    expect(entries).toBeLessThan(100);
  });
});
