import { parse, ParseError, printParseErrorCode, stripComments } from 'jsonc-parser';

/** A JSON file with `//` or `/* *\/` comments could not be parsed; says where. */
export class JsoncSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${problem} at line ${line}, column ${column} (offset ${offset})`);
    this.name = 'JsoncSyntaxError';
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Parses JSON that may hold comments (no trailing commas, no empty content). The syntax is checked by jsonc-parser,
 * which reports a position; the value is then built by JSON.parse on the comment-free text, so that a key such as
 * `__proto__` is an ordinary own property and never touches a prototype.
 */
export function parseJsonc(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const errors: ParseError[] = [];
  parse(body, errors, { disallowComments: false, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0) {
    const first = errors[0];
    const { line, column } = lineAndColumn(body, first.offset);
    throw new JsoncSyntaxError(line, column, first.offset, printParseErrorCode(first.error));
  }
  return JSON.parse(stripComments(body, ' ')) as unknown;
}
