import { SluiceError } from '@sluice/protocol';

/**
 * The deepest nesting of arrays and objects a request body may have. Real requests (messages, content
 * parts, tool schemas) stay well under 20; V8's `JSON.stringify` and every recursive walk after the
 * parse overflow the stack somewhere past a few thousand, which made such a body a 500 or, thrown while
 * sending it upstream, a 502.
 */
export const maxJsonDepth = 64;

const openBracket = 0x5b;
const openBrace = 0x7b;
const closeBracket = 0x5d;
const closeBrace = 0x7d;
const quote = 0x22;
const backslash = 0x5c;

/**
 * Throws a 400 when `text` nests arrays and objects deeper than `maxJsonDepth`, before it is parsed.
 * A body with fewer brackets than the limit cannot be too deep, and counting them is a native
 * `indexOf` per bracket, so a normal body costs next to nothing; only a body with many brackets is
 * scanned, its structure character by character and its strings (whose brackets do not nest) skipped by
 * a search for their closing quote.
 */
export function checkJsonDepth(text: string): void {
  if (!hasMoreBracketsThan(text, maxJsonDepth)) return;
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === quote) {
      index = endOfString(text, index);
    } else if (code === openBracket || code === openBrace) {
      depth += 1;
      if (depth > maxJsonDepth) throw new SluiceError('bad_request', `Request body is nested deeper than ${maxJsonDepth} levels of arrays and objects`);
    } else if (code === closeBracket || code === closeBrace) {
      depth -= 1;
    }
  }
}

/** The index of the quote closing the string opened at `start` (a native search: strings are most of a body). */
function endOfString(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === backslash) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

function hasMoreBracketsThan(text: string, count: number): boolean {
  let seen = 0;
  for (const bracket of ['[', '{']) {
    for (let found = text.indexOf(bracket); found !== -1; found = text.indexOf(bracket, found + 1)) {
      seen += 1;
      if (seen > count) return true;
    }
  }
  return false;
}
