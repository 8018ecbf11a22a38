import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/protocol';
import { chunkDocument } from '../../packages/server/src/retrieval/chunk-document.ts';

const small = { maxChunkChars: 200, overlapChars: 60 };

function sentences(count: number, topic: string): string {
  return Array.from({ length: count }, (_, index) => `Sentence ${index} is about ${topic}.`).join(' ');
}

describe('chunkDocument', () => {
  it('gives each chunk the path of headings above it, and starts a chunk at every heading', () => {
    const text = [
      'Preface line.',
      '# Harbour',
      'Quay text.',
      '## Lighthouse',
      'Lamp text.',
      '### Keeper',
      'Keeper text.',
      '## Tides',
      'Tide text.',
      '# Market',
      'Stall text.',
    ].join('\n\n');
    assert.deepEqual(
      chunkDocument(text, 'markdown').map(({ headingPath, text }) => [headingPath.join(' > '), text]),
      [
        ['', 'Preface line.'],
        ['Harbour', 'Quay text.'],
        ['Harbour > Lighthouse', 'Lamp text.'],
        ['Harbour > Lighthouse > Keeper', 'Keeper text.'],
        ['Harbour > Tides', 'Tide text.'],
        ['Market', 'Stall text.'],
      ],
    );
  });

  it('numbers chunks from 0 and packs whole blocks of one section up to the limit', () => {
    const blocks = [
      'First paragraph of the guide.',
      '- a list item\n- another item',
      '```\ncode line\n```',
      '| a | b |\n|---|---|\n| 1 | 2 |',
    ];
    const chunks = chunkDocument(`# Guide\n\n${blocks.join('\n\n')}`, 'markdown');
    assert.deepEqual(chunks, [{ index: 0, headingPath: ['Guide'], text: blocks.join('\n\n') }]);
  });

  it('reads setext headings, and leaves a # inside a code block alone', () => {
    const chunks = chunkDocument('Harbour\n=======\n\n```sh\n# not a heading\n```\n\nLighthouse\n----------\n\nLamp.', 'markdown');
    assert.deepEqual(
      chunks.map(({ headingPath, text }) => ({ headingPath, text })),
      [
        { headingPath: ['Harbour'], text: '```sh\n# not a heading\n```' },
        { headingPath: ['Harbour', 'Lighthouse'], text: 'Lamp.' },
      ],
    );
  });

  it('keeps the plain text of headings, without inline Markdown', () => {
    const [chunk] = chunkDocument('## Using `npm` with **care** and [links](https://example.com)\n\nBody.', 'markdown');
    assert.deepEqual(chunk?.headingPath, ['Using npm with care and links']);
  });

  it('splits a long paragraph at sentence ends, overlapping chunks of one section', () => {
    const chunks = chunkDocument(`# Rules\n\n${sentences(20, 'mooring')}\n\n# Other\n\n${sentences(2, 'tides')}`, 'markdown', small);
    const rules = chunks.filter((chunk) => chunk.headingPath[0] === 'Rules');
    assert.ok(rules.length >= 3);
    for (const chunk of chunks) {
      assert.ok(chunk.text.length <= small.maxChunkChars, `${chunk.text.length} chars`);
      assert.match(chunk.text, /^Sentence \d+ .*\.$/s, 'starts and ends at sentence boundaries');
    }
    for (let index = 1; index < rules.length; index++) {
      const previous = rules[index - 1]!.text;
      const overlap = previous.slice(previous.indexOf(rules[index]!.text.split(/(?<=\.) /)[0]!));
      assert.ok(rules[index]!.text.startsWith(overlap), `chunk ${index} starts with the end of chunk ${index - 1}`);
      assert.ok(overlap.length > 0 && overlap.length <= small.overlapChars, `overlap of ${overlap.length} chars`);
    }
    const other = chunks.find((chunk) => chunk.headingPath[0] === 'Other')!;
    assert.equal(other.text, sentences(2, 'tides'), 'no overlap across a heading');
  });

  it('keeps every word of the document', () => {
    const text = `# A\n\n${sentences(30, 'anchors')}\n\n## B\n\n${sentences(5, 'buoys')}\n\nShort one.\n\n${sentences(12, 'charts')}`;
    const chunked = new Set(chunkDocument(text, 'markdown', small).flatMap((chunk) => chunk.text.split(/\s+/)));
    for (const word of text
      .replace(/^#+ .*$/gm, '')
      .split(/\s+/)
      .filter(Boolean))
      assert.ok(chunked.has(word), word);
  });

  it('cuts a word longer than a chunk without splitting a surrogate pair', () => {
    const word = '🌊'.repeat(150);
    const chunks = chunkDocument(word, 'markdown', { maxChunkChars: 101, overlapChars: 0 });
    assert.equal(chunks.map((chunk) => chunk.text).join(''), word);
    for (const chunk of chunks) {
      assert.ok(chunk.text.length <= 101);
      assert.ok(!/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(chunk.text), 'no lone surrogate at an edge');
    }
  });

  it('splits plain text on blank lines only and ignores Markdown syntax in it', () => {
    const chunks = chunkDocument('# not a heading\r\nsame paragraph\r\n\r\n  \r\nsecond paragraph', 'text', {
      maxChunkChars: 100,
      overlapChars: 0,
    });
    assert.deepEqual(chunks, [{ index: 0, headingPath: [], text: '# not a heading\nsame paragraph\n\nsecond paragraph' }]);
  });

  it('refuses chunking options that cannot work', () => {
    for (const options of [
      { maxChunkChars: 50, overlapChars: 0 },
      { maxChunkChars: 1000, overlapChars: 600 },
      { maxChunkChars: 1000, overlapChars: -1 },
      { maxChunkChars: 1000.5, overlapChars: 0 },
    ]) {
      assert.throws(
        () => chunkDocument('text', 'markdown', options),
        (error) => error instanceof SluiceError && error.code === 'bad_request',
      );
    }
  });
});
