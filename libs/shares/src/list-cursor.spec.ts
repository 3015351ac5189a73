import { decodeCursor, encodeCursor } from './list-cursor';

describe('list cursor', () => {
  it('round-trips a position', () => {
    for (const n of [2, 51, 1_000_000, Number.MAX_SAFE_INTEGER]) expect(decodeCursor(encodeCursor(n))).toBe(n);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('before=3').toString('base64url')],
    ['an array', Buffer.from('[3]').toString('base64url')],
    ['another key', Buffer.from('{"after":3}').toString('base64url')],
    ['an extra key', Buffer.from('{"before":3,"x":1}').toString('base64url')],
    ['a fraction', Buffer.from('{"before":3.5}').toString('base64url')],
    ['a string position', Buffer.from('{"before":"3"}').toString('base64url')],
    ['position 1 (nothing precedes it)', Buffer.from('{"before":1}').toString('base64url')],
    ['a negative position', Buffer.from('{"before":-5}').toString('base64url')],
    ['past 2^53', Buffer.from('{"before":9007199254740993}').toString('base64url')],
    ['too long', 'A'.repeat(65)],
  ])('refuses %s', (_name, text) => {
    expect(decodeCursor(text)).toBeNull();
  });

  it('refuses what is not a string', () => {
    expect(decodeCursor(42)).toBeNull();
    expect(decodeCursor(['x'])).toBeNull();
  });
});
