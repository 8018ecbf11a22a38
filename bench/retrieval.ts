/**
 * Ingest and query speed of the retrieval stores: documents per second ingested (batches of 100) and
 * search time p50/p99 (top 5) once a collection holds about 10,000 chunks, for SQLite (a file) and
 * PostgreSQL, lexical and hybrid.
 *
 *   node bench/retrieval.ts [--documents 5000] [--queries 500]
 *
 * PostgreSQL is the server in DATABASE_URL when set (its tables are created there), else a throwaway one
 * started like the tests do. Hybrid runs embed through the tests' OpenAI-compatible server in this
 * process (256 dimensions, feature hashing), so they measure the store, not a model: with a real
 * endpoint add its latency to every upload and query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DocumentInput } from '../packages/server/src/retrieval/document.ts';
import { createOpenAiEmbedder } from '../packages/server/src/retrieval/openai-embedder.ts';
import { createPostgresStore } from '../packages/server/src/retrieval/postgres/postgres-store.ts';
import type { RetrievalStore } from '../packages/server/src/retrieval/retrieval-store.ts';
import { createSqliteStore } from '../packages/server/src/retrieval/sqlite/sqlite-store.ts';
import type { StoreOptions } from '../packages/server/src/retrieval/store-options.ts';
import { startEmbeddingsServer } from '../test/retrieval/embeddings-server.ts';
import { startPostgres } from '../test/retrieval/start-postgres.ts';

const { values } = parseArgs({ options: { documents: { type: 'string', default: '5000' }, queries: { type: 'string', default: '500' } } });
const documentCount = Number(values.documents);
const queryCount = Number(values.queries);
const batchSize = 100;
const warmupQueries = 50;

/**
 * A seeded vocabulary of 20,000 made-up words drawn by Zipf's law (frequency ∝ 1 / rank), as words are in
 * natural text, leaving out the 100 most frequent ranks as a search engine leaves out stop words.
 */
function createTextGenerator(seed: number): { words: (count: number) => string; random: () => number } {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
  const letters = 'abcdefghiklmnoprstuvy';
  const vocabulary = Array.from({ length: 20_000 }, () =>
    Array.from({ length: 3 + Math.floor(random() * 7) }, () => letters[Math.floor(random() * letters.length)]).join(''),
  );
  const drawWord = () => vocabulary[Math.floor(100 * (vocabulary.length / 100) ** random()) - 1]!;
  return { random, words: (count) => Array.from({ length: count }, drawWord).join(' ') };
}

/** Two sections of about 600 characters each: two chunks per document. */
function createDocuments(count: number): DocumentInput[] {
  const text = createTextGenerator(1);
  const paragraph = () => `${text.words(45)}.`;
  return Array.from({ length: count }, (_, index) => ({
    id: `doc-${index}`,
    title: text.words(4),
    text: `# ${text.words(3)}\n\n${paragraph()}\n\n${paragraph()}\n\n## ${text.words(2)}\n\n${paragraph()}\n\n${paragraph()}`,
    metadata: { index },
  }));
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

async function measure(store: RetrievalStore, documents: DocumentInput[]) {
  const ingestStart = performance.now();
  let chunks = 0;
  for (let start = 0; start < documents.length; start += batchSize) {
    const result = await store.upsertDocuments('bench', documents.slice(start, start + batchSize));
    chunks += result.documents.reduce((sum, document) => sum + document.chunkCount, 0);
  }
  const ingestSeconds = (performance.now() - ingestStart) / 1000;

  const text = createTextGenerator(2);
  const queries = Array.from({ length: warmupQueries + queryCount }, () => text.words(2 + Math.floor(text.random() * 5)));
  const timesMs: number[] = [];
  for (const [index, query] of queries.entries()) {
    const start = performance.now();
    await store.search('bench', query, 5);
    if (index >= warmupQueries) timesMs.push(performance.now() - start);
  }
  timesMs.sort((left, right) => left - right);
  return {
    chunks,
    documentsPerSecond: documents.length / ingestSeconds,
    p50Ms: percentile(timesMs, 0.5),
    p99Ms: percentile(timesMs, 0.99),
  };
}

const documents = createDocuments(documentCount);
const directory = mkdtempSync(join(tmpdir(), 'sluice-bench-retrieval-'));
const temporaryPostgres = process.env.DATABASE_URL ? undefined : await startPostgres();
const embeddingsServer = await startEmbeddingsServer(256);
const embedder = createOpenAiEmbedder({ baseUrl: embeddingsServer.baseUrl, apiKey: embeddingsServer.apiKey, model: 'bench' });
let runCount = 0;

const targets: { name: string; open: (options: StoreOptions) => Promise<RetrievalStore> }[] = [
  { name: 'sqlite', open: async (options) => createSqliteStore({ ...options, path: join(directory, `${++runCount}.db`) }) },
  {
    name: 'postgres',
    open: async (options) =>
      createPostgresStore({ ...options, connectionString: process.env.DATABASE_URL ?? (await temporaryPostgres!.createDatabase()) }),
  },
];

const rows: string[] = [];
try {
  for (const { name, open } of targets) {
    for (const [mode, options] of [
      ['lexical', {}],
      ['hybrid', { embedder }],
    ] as const) {
      const store = await open(options);
      try {
        // A shared DATABASE_URL may hold an earlier run's collection.
        await store.deleteCollection('bench').catch(() => {});
        const result = await measure(store, documents);
        rows.push(
          `| ${name} | ${mode} | ${result.chunks} | ${Math.round(result.documentsPerSecond)} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} |`,
        );
        await store.deleteCollection('bench');
      } finally {
        await store.close();
      }
    }
  }
} finally {
  await embeddingsServer.close();
  await temporaryPostgres?.stop();
  rmSync(directory, { recursive: true, force: true });
}

console.log(
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${documentCount} documents, ${queryCount} queries (top 5)\n`,
);
console.log('| store | ranking | chunks | documents/s ingested | query p50 ms | query p99 ms |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
