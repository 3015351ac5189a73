/**
 * The cursor of `GET /shares` and `npm run shares -- list`: an opaque string naming where the next page starts. It
 * carries a position only, no filter: a client pages by repeating its query with the cursor of the previous answer.
 */
const MAX_CURSOR_LENGTH = 64;

export function encodeCursor(before: number): string {
  return Buffer.from(JSON.stringify({ before })).toString('base64url');
}

/** The position a cursor names, or null when the text is not a cursor this service gave. */
export function decodeCursor(text: unknown): number | null {
  if (typeof text !== 'string' || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const keys = Object.keys(value);
    const before = (value as { before?: unknown }).before;
    if (keys.length !== 1 || !Number.isSafeInteger(before) || (before as number) < 2) return null;
    return before as number;
  } catch {
    return null;
  }
}
