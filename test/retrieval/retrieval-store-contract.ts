import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { SluiceError } from '@sluice/protocol';
import type { DocumentInput } from '../../packages/server/src/retrieval/document.ts';
import { createOpenAiEmbedder } from '../../packages/server/src/retrieval/openai-embedder.ts';
import type { RetrievalStore } from '../../packages/server/src/retrieval/retrieval-store.ts';
import type { StoreOptions } from '../../packages/server/src/retrieval/store-options.ts';
import { startEmbeddingsServer, type EmbeddingsServer } from './embeddings-server.ts';

/** Makes a new, empty store on each call. */
export type StoreFactory = (options: StoreOptions) => Promise<RetrievalStore>;

const harbourGuide: DocumentInput = {
  id: 'guides/harbour.md',
  title: 'Harbour guide of Ostrel',
  text: [
    '# Ostrel harbour',
    '',
    'Ships moor along the basalt quay on the north side.',
    '',
    '## The lighthouse',
    '',
    'The keeper Mira Sollen lights the green lamp every dusk.',
    '',
    '## Tides',
    '',
    'The tide clock on the quay rings twice before high water.',
  ].join('\n'),
  metadata: { source: 'guidebook', tags: ['harbour', 'ostrel'], edition: { year: 1881 } },
};

const shipRegister: DocumentInput = {
  id: 'ships/marrowind',
  title: 'The Marrowind',
  text: 'The Marrowind is a three-masted schooner that carries cinnamon and saffron from Ostrel to Velle.',
  metadata: { kind: 'ship' },
};

const bakeryNote: DocumentInput = {
  id: 'notes/été.txt',
  title: 'Fournil',
  format: 'text',
  text: 'The café by the market bakes rye loaves.\n\nIt closes on the day of the regatta.',
};

const baseDocuments = [harbourGuide, shipRegister, bakeryNote];

/** Query strings that are FTS5 or tsquery syntax, SQL, or unbalanced; each still holds the word "keeper". */
const hostileQueries = [
  '"keeper',
  'keeper*',
  'heading:keeper',
  '{heading body}: keeper',
  'keeper AND',
  'OR keeper NOT',
  'NEAR(keeper lamp, 2)',
  '^keeper',
  'keeper -lamp',
  '(keeper',
  "keeper' OR 1=1; DROP TABLE documents; --",
  'keeper & | ! <-> :* \\',
  'keeper\u0000',
];

/**
 * The behaviour every `RetrievalStore` owes its callers, run against each implementation, lexical and,
 * with `hybrid`, through an embedder backed by an in-test OpenAI-compatible embeddings server.
 */
export function describeRetrievalStoreContract(name: string, createStore: StoreFactory, settings: { hybrid: boolean }): void {
  describe(`RetrievalStore contract: ${name}${settings.hybrid ? ' (hybrid)' : ''}`, () => {
    let embeddingsServer: EmbeddingsServer | undefined;

    before(async () => {
      if (settings.hybrid) embeddingsServer = await startEmbeddingsServer();
    });
    after(async () => {
      await embeddingsServer?.close();
    });

    async function open(t: TestContext, options: StoreOptions = {}): Promise<RetrievalStore> {
      const embedder =
        embeddingsServer === undefined
          ? undefined
          : createOpenAiEmbedder({ baseUrl: embeddingsServer.baseUrl, apiKey: embeddingsServer.apiKey, model: 'test-embedding' });
      const store = await createStore({ ...options, ...(embedder === undefined ? {} : { embedder }) });
      t.after(() => store.close());
      return store;
    }

    async function openWithDocuments(t: TestContext): Promise<RetrievalStore> {
      const store = await open(t);
      await store.upsertDocuments('harbour', baseDocuments);
      return store;
    }

    it('describes itself', async (t) => {
      const store = await open(t);
      assert.equal(store.description.hybrid, settings.hybrid);
    });

    it('creates, lists, gets and deletes collections', async (t) => {
      const store = await open(t);
      assert.deepEqual(await store.listCollections(), []);
      const created = await store.createCollection('beta');
      assert.equal(created.name, 'beta');
      assert.equal(created.documentCount, 0);
      assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
      assert.deepEqual(await store.createCollection('beta'), created, 'creating again returns the same collection');
      await store.upsertDocuments('alpha', [shipRegister]);
      const collections = await store.listCollections();
      assert.deepEqual(
        collections.map(({ name, documentCount, chunkCount }) => ({ name, documentCount, chunkCount })),
        [
          { name: 'alpha', documentCount: 1, chunkCount: 1 },
          { name: 'beta', documentCount: 0, chunkCount: 0 },
        ],
      );
      assert.deepEqual(await store.getCollection('alpha'), collections[0]);
      await store.deleteCollection('alpha');
      assert.deepEqual(
        (await store.listCollections()).map((collection) => collection.name),
        ['beta'],
      );
      await assertSluiceError(store.getCollection('alpha'), 'not_found', /"alpha"/);
    });

    it('refuses malformed collection names with bad_request naming the name', async (t) => {
      const store = await open(t);
      for (const badName of ['Upper', '', '-dash-first', 'a/b', 'x'.repeat(64), '../etc', 'white space']) {
        await assertSluiceError(
          store.createCollection(badName),
          'bad_request',
          new RegExp(JSON.stringify(badName).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')),
        );
        await assertSluiceError(store.upsertDocuments(badName, [shipRegister]), 'bad_request');
        await assertSluiceError(store.search(badName, 'ship', 3), 'bad_request');
      }
      assert.deepEqual(await store.listCollections(), []);
    });

    it('reports a missing collection as not_found before doing anything', async (t) => {
      const store = await open(t);
      const embeddingRequestsBefore = embeddingsServer?.requests.length ?? 0;
      await assertSluiceError(store.getCollection('missing'), 'not_found', /Collection "missing" does not exist/);
      await assertSluiceError(store.deleteCollection('missing'), 'not_found');
      await assertSluiceError(store.listDocuments('missing'), 'not_found');
      await assertSluiceError(store.deleteDocument('missing', 'any'), 'not_found');
      await assertSluiceError(store.search('missing', 'ship', 3), 'not_found');
      assert.equal(embeddingsServer?.requests.length ?? 0, embeddingRequestsBefore, 'no query embedding for a missing collection');
    });

    it('creates the collection on first upload and lists documents by id, page by page', async (t) => {
      const store = await open(t);
      const result = await store.upsertDocuments('harbour', baseDocuments);
      assert.deepEqual(
        result.documents.map(({ id, replaced }) => ({ id, replaced })),
        baseDocuments.map(({ id }) => ({ id, replaced: false })),
      );
      assert.equal(result.documents[0]!.chunkCount, 3, 'one chunk per heading section');

      const firstPage = await store.listDocuments('harbour', { limit: 2 });
      assert.deepEqual(
        firstPage.documents.map((document) => document.id),
        ['guides/harbour.md', 'notes/été.txt'],
      );
      assert.equal(firstPage.nextAfterId, 'notes/été.txt');
      const secondPage = await store.listDocuments('harbour', { limit: 2, afterId: firstPage.nextAfterId! });
      assert.deepEqual(
        secondPage.documents.map((document) => document.id),
        ['ships/marrowind'],
      );
      assert.equal(secondPage.nextAfterId, undefined);

      const guide = firstPage.documents[0]!;
      assert.equal(guide.title, harbourGuide.title);
      assert.deepEqual(guide.metadata, harbourGuide.metadata);
      assert.equal(guide.textBytes, Buffer.byteLength(harbourGuide.text));
      assert.ok(!Number.isNaN(Date.parse(guide.updatedAt)));
      assert.deepEqual(firstPage.documents[1]!.metadata, {}, 'metadata defaults to an empty object');
      await assertSluiceError(store.listDocuments('harbour', { limit: 0 }), 'bad_request', /limit/);
    });

    it('replaces a document and all its old chunks when its id is uploaded again', async (t) => {
      const store = await openWithDocuments(t);
      assert.equal(
        (await store.search('harbour', 'tide clock', 5)).some((hit) => hit.id === harbourGuide.id),
        true,
      );
      const result = await store.upsertDocuments('harbour', [
        { id: harbourGuide.id, title: 'Harbour guide, second edition', text: 'The quay was rebuilt in granite.', metadata: { edition: 2 } },
      ]);
      assert.deepEqual(result.documents, [{ id: harbourGuide.id, chunkCount: 1, replaced: true }]);
      assert.deepEqual(
        (await store.search('harbour', 'tide clock lighthouse', 5)).filter(
          (hit) => hit.id === harbourGuide.id && hit.text.includes('tide'),
        ),
        [],
      );
      const [hit] = await store.search('harbour', 'granite', 5);
      assert.equal(hit?.id, harbourGuide.id);
      assert.equal(hit?.title, 'Harbour guide, second edition');
      assert.deepEqual(hit?.metadata, { edition: 2 });
      const collection = await store.getCollection('harbour');
      assert.deepEqual([collection.documentCount, collection.chunkCount], [3, 3]);
    });

    it('deletes a document with its chunks, and reports a missing one as not_found', async (t) => {
      const store = await openWithDocuments(t);
      await store.deleteDocument('harbour', shipRegister.id);
      assert.equal(
        (await store.search('harbour', 'Marrowind schooner cinnamon', 5)).some((hit) => hit.id === shipRegister.id),
        false,
      );
      assert.deepEqual(
        (await store.listDocuments('harbour')).documents.map((document) => document.id),
        ['guides/harbour.md', 'notes/été.txt'],
      );
      await assertSluiceError(store.deleteDocument('harbour', shipRegister.id), 'not_found', /"ships\/marrowind".*"harbour"/);
    });

    it('ranks the best chunk first and returns the Source fields with its heading path', async (t) => {
      const store = await openWithDocuments(t);
      const hits = await store.search('harbour', 'Who is the lighthouse keeper?', 3);
      const [best] = hits;
      assert.ok(best !== undefined);
      assert.equal(best.id, harbourGuide.id);
      assert.equal(best.chunkId, `${harbourGuide.id}#1`);
      assert.equal(best.title, harbourGuide.title);
      assert.deepEqual(best.headingPath, ['Ostrel harbour', 'The lighthouse']);
      assert.equal(best.text, 'The keeper Mira Sollen lights the green lamp every dusk.');
      assert.equal(best.snippet, best.text, 'a short chunk is its own snippet');
      assert.deepEqual(best.metadata, harbourGuide.metadata);
      assert.ok(hits.length <= 3);
      for (let index = 1; index < hits.length; index++) assert.ok(hits[index - 1]!.score >= hits[index]!.score, 'scores descend');
      assert.equal(new Set(hits.map((hit) => hit.chunkId)).size, hits.length, 'no chunk twice');
    });

    it('finds words by their stem', async (t) => {
      const store = await openWithDocuments(t);
      const [hit] = await store.search('harbour', 'mooring ships', 1);
      assert.equal(hit?.chunkId, `${harbourGuide.id}#0`);
    });

    it('returns at most topK hits and refuses a topK or query out of bounds', async (t) => {
      const store = await openWithDocuments(t);
      assert.equal((await store.search('harbour', 'the quay ships lamp tide cinnamon rye', 2)).length, 2);
      for (const topK of [0, -1, 1.5, 51, Number.NaN]) {
        await assertSluiceError(store.search('harbour', 'ship', topK), 'bad_request', /top_k/);
      }
      await assertSluiceError(store.search('harbour', '   ', 3), 'bad_request', /query/);
      await assertSluiceError(store.search('harbour', 'x'.repeat(2001), 3), 'bad_request', /2000/);
    });

    it('reads query text as literal words, never as query syntax', async (t) => {
      const store = await openWithDocuments(t);
      for (const query of hostileQueries) {
        const hits = await store.search('harbour', query, 3);
        assert.equal(hits[0]?.chunkId, `${harbourGuide.id}#1`, `query ${JSON.stringify(query)}`);
      }
      const punctuationOnly = await store.search('harbour', '"*:()^- & |', 3);
      if (!settings.hybrid) assert.deepEqual(punctuationOnly, []);
      assert.equal((await store.listDocuments('harbour')).documents.length, 3, 'nothing was dropped');
    });

    it('answers any text, never failing on what a full-text parser might read as syntax', async (t) => {
      const store = await openWithDocuments(t);
      for (const query of randomQueries(150)) {
        await store.search('harbour', query, 3).catch((error: unknown) => assert.fail(`query ${JSON.stringify(query)}: ${String(error)}`));
      }
    });

    it('keeps collections apart', async (t) => {
      const store = await open(t);
      await store.upsertDocuments('one', [{ id: 'same-id', title: 'One', text: 'Amber is traded in the first collection.' }]);
      await store.upsertDocuments('two', [{ id: 'same-id', title: 'Two', text: 'Amber is traded in the second collection.' }]);
      assert.deepEqual(
        (await store.search('one', 'amber', 5)).map((hit) => hit.title),
        ['One'],
      );
      await store.deleteCollection('one');
      assert.deepEqual(
        (await store.search('two', 'amber', 5)).map((hit) => hit.title),
        ['Two'],
      );
    });

    it('checks the whole batch before writing anything', async (t) => {
      const store = await open(t, { limits: { maxDocumentsPerBatch: 3, maxDocumentBytes: 200 } });
      const embeddingRequestsBefore = embeddingsServer?.requests.length ?? 0;
      const oversized = { id: 'too-big', title: 'Too big', text: 'word '.repeat(60) };
      await assertSluiceError(
        store.upsertDocuments('batch', [shipRegister, oversized]),
        'payload_too_large',
        /documents\[1\] \(id "too-big"\): text is 300 bytes, the limit is 200 bytes/,
      );
      await assertSluiceError(
        store.upsertDocuments('batch', [shipRegister, bakeryNote, shipRegister]),
        'bad_request',
        /"ships\/marrowind" appears more than once/,
      );
      await assertSluiceError(store.upsertDocuments('batch', Array(4).fill(shipRegister)), 'payload_too_large', /4, the limit is 3/);
      await assertSluiceError(
        store.upsertDocuments('batch', [shipRegister, { id: 'x', title: 'No text' } as DocumentInput]),
        'bad_request',
        /documents\[1\] \(id "x"\): text/,
      );
      await assertSluiceError(store.upsertDocuments('batch', [{ ...shipRegister, id: ' ' }]), 'bad_request', /documents\[0\]\.id/);
      await assertSluiceError(
        store.upsertDocuments('batch', [{ ...shipRegister, metadata: [] as unknown as Record<string, unknown> }]),
        'bad_request',
        /metadata must be a JSON object/,
      );
      await assertSluiceError(store.upsertDocuments('batch', [{ ...shipRegister, text: 'a\u0000b' }]), 'bad_request', /without NUL/);
      await assertSluiceError(
        store.upsertDocuments('batch', [{ ...shipRegister, metadata: { note: 'a\u0000b' } }]),
        'bad_request',
        /metadata must be a JSON object without NUL/,
      );
      await assertSluiceError(
        store.upsertDocuments('batch', [{ ...shipRegister, metadata: { count: 1n } }]),
        'bad_request',
        /metadata must be a JSON object/,
      );
      await assertSluiceError(store.upsertDocuments('batch', []), 'bad_request', /at least one/);
      assert.deepEqual(await store.listCollections(), [], 'nothing was written, not even the collection');
      assert.equal(embeddingsServer?.requests.length ?? 0, embeddingRequestsBefore, 'nothing was embedded');
    });

    it('splits a long Markdown document into overlapping chunks under its headings', async (t) => {
      const store = await open(t, { chunking: { maxChunkChars: 300, overlapChars: 80 } });
      const paragraphs = Array.from(
        { length: 12 },
        (_, index) => `Paragraph ${index} of the sailing rules says that boat ${index} yields to the ferry.`,
      );
      const text = `# Rules\n\n${paragraphs.slice(0, 8).join('\n\n')}\n\n## Signals\n\n${paragraphs.slice(8).join('\n\n')}`;
      const [result] = (await store.upsertDocuments('rules', [{ id: 'rules', title: 'Sailing rules', text }])).documents;
      assert.ok(result!.chunkCount >= 4, `${result!.chunkCount} chunks`);
      const hits = await store.search('rules', 'sailing rules paragraph boat ferry', 50);
      assert.equal(hits.length, result!.chunkCount);
      for (const hit of hits) assert.ok(hit.text.length <= 300);
      const paths = new Set(hits.map((hit) => hit.headingPath.join(' > ')));
      assert.deepEqual([...paths].sort(), ['Rules', 'Rules > Signals']);
    });

    if (settings.hybrid) {
      it('finds a misspelled name through vectors, which lexical ranking cannot', async (t) => {
        const store = await openWithDocuments(t);
        const [hit] = await store.search('harbour', 'Marowind', 3);
        assert.equal(hit?.id, shipRegister.id);
      });

      it('sends the API key as a bearer token and embeds every chunk once', async (t) => {
        const server = embeddingsServer!;
        const before = server.requests.length;
        await openWithDocuments(t);
        const upload = server.requests.slice(before);
        assert.ok(upload.every((request) => request.authorization === `Bearer ${server.apiKey}` && request.model === 'test-embedding'));
        assert.equal(
          upload.reduce((sum, request) => sum + request.inputCount, 0),
          5,
        );
      });

      it('leaves the store unchanged when embedding fails, and never echoes the key', async (t) => {
        const store = await openWithDocuments(t);
        const server = embeddingsServer!;
        t.after(() => server.failWith(undefined));
        for (const status of [500, 401]) {
          server.failWith(status);
          const upsertError = await assertSluiceError(
            store.upsertDocuments('harbour', [{ ...shipRegister, text: 'Replaced text.' }]),
            'upstream_error',
            new RegExp(`HTTP ${status}`),
          );
          const searchError = await assertSluiceError(store.search('harbour', 'ship', 3), 'upstream_error');
          for (const error of [upsertError, searchError])
            assert.ok(!JSON.stringify({ message: error.message, body: error.toResponseBody() }).includes(server.apiKey));
        }
        server.failWith(undefined);
        const [hit] = await store.search('harbour', 'Marrowind schooner', 1);
        assert.equal(hit?.text, shipRegister.text, 'the old version is still there');
      });

      it('reports an aborted upload as cancelled and writes nothing', async (t) => {
        const store = await open(t);
        await assertSluiceError(store.upsertDocuments('harbour', baseDocuments, { signal: AbortSignal.abort() }), 'cancelled');
        assert.deepEqual(await store.listCollections(), []);
      });
    } else {
      it('finds nothing for a misspelled name', async (t) => {
        const store = await openWithDocuments(t);
        assert.deepEqual(await store.search('harbour', 'Marowind', 3), []);
      });
    }
  });
}

/** Seeded strings mixing words, query-syntax characters, marks, scripts, emoji and controls. */
function randomQueries(count: number): string[] {
  let state = 7;
  const next = (bound: number) => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state % bound;
  };
  const pieces = [
    'keeper',
    'lamp',
    'AND',
    'OR',
    'NOT',
    'NEAR',
    '"',
    "'",
    '*',
    ':',
    '^',
    '(',
    ')',
    '{',
    '}',
    '-',
    '+',
    '&',
    '|',
    '!',
    '<->',
    ':*',
    '\\',
    ';',
    '\u0301',
    'é',
    'ß',
    'İ',
    '東京',
    'القمر',
    '🌊',
    '\u200b',
    '\t',
    '\n',
    '\u0007',
    '0',
    '1881',
    'x1y2',
  ];
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + next(8) }, () => pieces[next(pieces.length)]).join(next(2) === 0 ? ' ' : ''),
  ).filter((query) => query.trim() !== '');
}

async function assertSluiceError(promise: Promise<unknown>, code: SluiceError['code'], message?: RegExp): Promise<SluiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected a SluiceError ${code}`);
}
