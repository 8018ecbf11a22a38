import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSnippet } from '../../packages/server/src/retrieval/create-snippet.ts';

const filler = (count: number, word: string) => Array(count).fill(word).join(' ');

describe('createSnippet', () => {
  it('returns a short text whole, with its whitespace collapsed', () => {
    assert.equal(createSnippet('The keeper\n\nlights   the lamp.', ['keeper']), 'The keeper lights the lamp.');
  });

  it('picks the window with the most query terms and marks what was cut', () => {
    const text = `${filler(60, 'sand')} the keeper lights the green lamplight at dusk ${filler(60, 'salt')}`;
    const snippet = createSnippet(text, ['keeper', 'lamplights'], 60);
    assert.ok(snippet.length <= 60, snippet);
    assert.match(snippet, /^….*keeper lights the green lamplight.*…$/);
  });

  it('starts at the beginning when no term matches, and cuts at word boundaries', () => {
    const snippet = createSnippet(filler(100, 'tide'), ['anchor'], 50);
    assert.match(snippet, /^tide( tide)*…$/);
    assert.ok(snippet.length <= 50);
  });

  it('hard cuts a single word longer than the window', () => {
    assert.equal(createSnippet('x'.repeat(300), [], 20), `${'x'.repeat(18)}…`);
  });
});
