import { readFileSync } from 'node:fs';
import type { Frame } from './endpoint.ts';

const fixturesDirectory = new URL('../../fixtures/', import.meta.url);

/**
 * Reads `test/fixtures/<name>.chunks.txt`: one upstream chunk per line, each line a JSON string literal
 * holding the chunk's exact text (SSE `event:`/`data:` lines and the blank line that ends the event
 * included). Empty lines and lines starting with `#` are comments. Every chunk counts as one token.
 */
export function loadTranscript(name: string): Frame[] {
  const text = readFileSync(new URL(`${name}.chunks.txt`, fixturesDirectory), 'utf8');
  const frames: Frame[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const chunk: unknown = JSON.parse(line);
    if (typeof chunk !== 'string') throw new TypeError(`${name}.chunks.txt line ${index + 1}: expected a JSON string`);
    frames.push({ text: chunk, tokens: 1, phase: 'content' });
  }
  return frames;
}
