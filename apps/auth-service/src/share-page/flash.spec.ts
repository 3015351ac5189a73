import { makeFlash, readFlash } from './flash';

describe('the share page flash (POST/redirect/GET)', () => {
  const key = 'a-signing-key';
  const now = Date.parse('2026-12-07T12:00:00Z');

  it('reads back what was made for the same share, within 10 minutes', () => {
    const flash = makeFlash(key, 'share-1', { say: 'wrong-password', n: 4 }, now);
    expect(readFlash(key, 'share-1', flash, now + 60_000)).toEqual({ say: 'wrong-password', n: 4 });
    expect(readFlash(key, 'share-1', flash, now + 11 * 60_000)).toBeNull();
  });

  it('refuses a flash of another share, another key, altered, or not one', () => {
    const flash = makeFlash(key, 'share-1', { say: 'code-sent', n: 10, to: 0 }, now);
    expect(readFlash(key, 'share-2', flash, now)).toBeNull();
    expect(readFlash('another key', 'share-1', flash, now)).toBeNull();
    const [, exp, mac] = flash.split('.');
    const forged = Buffer.from(JSON.stringify({ say: 'code-sent', n: 99 })).toString('base64url');
    expect(readFlash(key, 'share-1', `${forged}.${exp}.${mac}`, now)).toBeNull();
    for (const bad of [undefined, 7, '', 'a.b.c', 'x'.repeat(600)])
      expect(readFlash(key, 'share-1', bad, now)).toBeNull();
  });
});
