import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { SluiceError } from '@sluice/protocol';
import { ingestFolder } from '../../packages/server/src/retrieval/ingest-folder.ts';
import { createSqliteStore } from '../../packages/server/src/retrieval/sqlite/sqlite-store.ts';

function makeFolder(t: TestContext, files: Record<string, string | Buffer>): string {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-ingest-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  return folder;
}

function openStore(t: TestContext) {
  const store = createSqliteStore({ path: ':memory:' });
  t.after(() => store.close());
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof SluiceError, String(error));
  return error;
}

describe('ingestFolder', () => {
  it('ingests Markdown and text files under the folder, ids from paths, titles from the first heading', async (t) => {
    const folder = makeFolder(t, {
      'harbour.md': 'Intro line.\n\n# Harbour of Ostrel\n\nShips moor at the basalt quay.',
      'guides/tides/tide-clock.MD': '\uFEFFThe tide clock rings twice.\n\nSetext Title\n============\n\nAfter.',
      'guides/plain.txt': '# not a heading in a text file\n\nThe rope walk is long.',
      'guides/untitled.markdown': 'No heading here, only the salt works.',
      'guides/blank.md': ' \n\n',
      '.hidden.md': '# Hidden',
      '.git/HEAD.md': '# Not ingested',
      'image.png': Buffer.from([0x89, 0x50]),
      'notes.json': '{"title": "not a document"}',
    });
    const store = openStore(t);
    const progress: unknown[] = [];
    const result = await ingestFolder(store, 'docs', folder, { batchSize: 2, onProgress: (update) => progress.push(update) });

    assert.deepEqual(result, { documents: 4, chunks: 6, replaced: 0, skippedEmpty: ['guides/blank.md'] });
    assert.deepEqual(progress, [
      { writtenDocuments: 2, totalDocuments: 4 },
      { writtenDocuments: 4, totalDocuments: 4 },
    ]);
    const { documents } = await store.listDocuments('docs');
    assert.deepEqual(
      documents.map(({ id, title, metadata }) => ({ id, title, metadata })),
      [
        { id: 'guides/plain.txt', title: 'plain', metadata: { path: 'guides/plain.txt' } },
        { id: 'guides/tides/tide-clock.MD', title: 'Setext Title', metadata: { path: 'guides/tides/tide-clock.MD' } },
        { id: 'guides/untitled.markdown', title: 'untitled', metadata: { path: 'guides/untitled.markdown' } },
        { id: 'harbour.md', title: 'Harbour of Ostrel', metadata: { path: 'harbour.md' } },
      ],
    );
    const [hit] = await store.search('docs', 'basalt quay', 1);
    assert.deepEqual([hit?.id, hit?.headingPath], ['harbour.md', ['Harbour of Ostrel']]);
    assert.equal((await store.search('docs', 'tide clock', 1))[0]?.text, 'The tide clock rings twice.', 'the byte order mark is dropped');
  });

  it('replaces documents when the folder is ingested again', async (t) => {
    const folder = makeFolder(t, { 'a.md': '# A\n\nAnchor.', 'b.txt': 'Buoy.' });
    const store = openStore(t);
    await ingestFolder(store, 'docs', folder);
    writeFileSync(join(folder, 'a.md'), '# A\n\nAnchor chain, renewed.');
    const again = await ingestFolder(store, 'docs', folder);
    assert.deepEqual([again.documents, again.replaced], [2, 2]);
    assert.equal((await store.getCollection('docs')).documentCount, 2);
    assert.equal((await store.search('docs', 'renewed', 1))[0]?.id, 'a.md');
  });

  it('checks every file before writing anything, and names the one at fault', async (t) => {
    const store = openStore(t);
    const tooLarge = makeFolder(t, { 'a.md': 'Fine.', 'z/big.md': 'x'.repeat(2000) });
    const large = await rejection(ingestFolder(store, 'docs', tooLarge, { maxFileBytes: 1000 }));
    assert.equal(large.code, 'payload_too_large');
    assert.match(large.message, /"z\/big\.md" is 2000 bytes, the limit is 1000 bytes/);

    const notText = makeFolder(t, { 'a.md': 'Fine.', 'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]) });
    const encoding = await rejection(ingestFolder(store, 'docs', notText));
    assert.deepEqual([encoding.code, encoding.message], ['bad_request', 'File "latin1.txt" is not UTF-8 text']);

    assert.deepEqual(await store.listCollections(), [], 'nothing was written');
  });

  it('refuses a missing or empty folder and a bad collection name', async (t) => {
    const store = openStore(t);
    const missing = await rejection(ingestFolder(store, 'docs', join(tmpdir(), 'sluice-no-such-folder')));
    assert.match(missing.message, /cannot be read: ENOENT/);
    const empty = await rejection(ingestFolder(store, 'docs', makeFolder(t, { 'readme.rst': 'Not ours.' })));
    assert.match(empty.message, /holds no \.md, \.markdown or \.txt files/);
    assert.equal((await rejection(ingestFolder(store, 'Bad Name', makeFolder(t, { 'a.md': 'A.' })))).code, 'bad_request');
  });
});
