import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAiEmbedder } from '../../packages/server/src/retrieval/openai-embedder.ts';
import { createPostgresStore } from '../../packages/server/src/retrieval/postgres/postgres-store.ts';
import type { RetrievalStore } from '../../packages/server/src/retrieval/retrieval-store.ts';
import { createSqliteStore } from '../../packages/server/src/retrieval/sqlite/sqlite-store.ts';
import type { StoreOptions } from '../../packages/server/src/retrieval/store-options.ts';
import { generateAmberlineCorpus, type CorpusQuestion } from '../fixtures/corpus/amberline-corpus.ts';
import { startEmbeddingsServer, type EmbeddingsServer } from './embeddings-server.ts';
import { startPostgres, type TemporaryPostgres } from './start-postgres.ts';

/**
 * recall@5 on the Amberline corpus: for each question, the share of its relevant documents among the
 * first five hits, averaged. Floors sit just under the measured values (in each test's name), so a
 * change that makes retrieval worse fails here. The hybrid runs use the test embedder, which knows
 * spelling, not meaning: they show what fusion adds on misspelled names, not what a real model adds.
 */
const corpus = generateAmberlineCorpus();

type Kind = CorpusQuestion['kind'];
type Recall = Record<Kind | 'overall', number>;

async function measureRecallAt5(store: RetrievalStore): Promise<Recall> {
  const recalls: { kind: Kind; recall: number }[] = [];
  for (const { question, relevantIds, kind } of corpus.questions) {
    const found = new Set((await store.search('amberline', question, 5)).map((hit) => hit.id));
    recalls.push({ kind, recall: relevantIds.filter((id) => found.has(id)).length / Math.min(relevantIds.length, 5) });
  }
  const mean = (kind?: Kind) => {
    const selected = recalls.filter((entry) => kind === undefined || entry.kind === kind);
    return selected.reduce((sum, entry) => sum + entry.recall, 0) / selected.length;
  };
  return { overall: mean(), exact: mean('exact'), paraphrase: mean('paraphrase'), misspelled: mean('misspelled') };
}

async function ingestCorpus(store: RetrievalStore): Promise<void> {
  for (let start = 0; start < corpus.documents.length; start += 100) {
    await store.upsertDocuments('amberline', corpus.documents.slice(start, start + 100));
  }
}

let postgres: TemporaryPostgres;
let embeddingsServer: EmbeddingsServer;
before(async () => {
  [postgres, embeddingsServer] = await Promise.all([startPostgres(), startEmbeddingsServer()]);
});
after(async () => {
  await Promise.all([postgres.stop(), embeddingsServer.close()]);
});

const backends: { name: string; open: (options: StoreOptions) => Promise<RetrievalStore>; floors: { lexical: number; hybrid: number } }[] =
  [
    {
      name: 'sqlite',
      open: async (options) => createSqliteStore({ ...options, path: ':memory:' }),
      floors: { lexical: 0.78, hybrid: 0.8 },
    },
    {
      name: 'postgres',
      open: async (options) => createPostgresStore({ ...options, connectionString: await postgres.createDatabase() }),
      floors: { lexical: 0.77, hybrid: 0.76 },
    },
  ];

describe('retrieval quality: recall@5 on the Amberline corpus', () => {
  it(`asks ${corpus.questions.length} questions of ${corpus.documents.length} documents`, () => {
    assert.equal(corpus.documents.length, 301);
    assert.equal(corpus.questions.length, 105);
  });

  for (const { name, open, floors } of backends) {
    it(`${name}: lexical ≥ ${floors.lexical}, hybrid ≥ ${floors.hybrid} and better on misspelled names`, async (t) => {
      const measure = async (mode: string, options: StoreOptions) => {
        const store = await open(options);
        try {
          await ingestCorpus(store);
          const recall = await measureRecallAt5(store);
          const { overall, exact, paraphrase, misspelled } = recall;
          t.diagnostic(
            `${name} ${mode} recall@5: overall ${overall.toFixed(3)}, exact ${exact.toFixed(3)}, paraphrase ${paraphrase.toFixed(3)}, misspelled ${misspelled.toFixed(3)}`,
          );
          return recall;
        } finally {
          await store.close();
        }
      };
      const embedder = createOpenAiEmbedder({ baseUrl: embeddingsServer.baseUrl, apiKey: embeddingsServer.apiKey, model: 'test' });
      const recall = { lexical: await measure('lexical', {}), hybrid: await measure('hybrid', { embedder }) };
      assert.ok(recall.lexical.overall >= floors.lexical, `lexical ${recall.lexical.overall}`);
      assert.ok(recall.hybrid.overall >= floors.hybrid, `hybrid ${recall.hybrid.overall}`);
      assert.ok(recall.hybrid.misspelled > recall.lexical.misspelled + 0.1, 'vectors find misspelled names that words cannot');
    });
  }
});
