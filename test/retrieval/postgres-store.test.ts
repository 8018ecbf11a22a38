import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRetrievalStore } from '../../packages/server/src/retrieval/create-retrieval-store.ts';
import { createOpenAiEmbedder } from '../../packages/server/src/retrieval/openai-embedder.ts';
import { createPostgresStore } from '../../packages/server/src/retrieval/postgres/postgres-store.ts';
import { startEmbeddingsServer } from './embeddings-server.ts';
import { describeRetrievalStoreContract } from './retrieval-store-contract.ts';
import { startPostgres, type TemporaryPostgres } from './start-postgres.ts';

let postgres: TemporaryPostgres;
before(async () => {
  postgres = await startPostgres();
});
after(() => postgres.stop());

for (const hybrid of [false, true]) {
  describeRetrievalStoreContract(
    'postgres',
    async (options) => createPostgresStore({ ...options, connectionString: await postgres.createDatabase() }),
    { hybrid },
  );
}

describe('postgres store', () => {
  it('shares collections between instances on one database', async () => {
    const connectionString = await postgres.createDatabase();
    const [first, second] = await Promise.all([createPostgresStore({ connectionString }), createPostgresStore({ connectionString })]);
    try {
      await first.upsertDocuments('shared', [{ id: 'a', title: 'Anchor', text: 'The anchor chain is forty fathoms long.' }]);
      assert.deepEqual(
        (await second.search('shared', 'fathoms', 1)).map((hit) => hit.id),
        ['a'],
      );

      const versions = Array.from({ length: 6 }, (_, index) => ({
        id: 'b',
        title: `Version ${index}`,
        text: `Buoy ${index} marks the reef.`,
      }));
      const results = await Promise.all(
        versions.map((version, index) => (index % 2 === 0 ? first : second).upsertDocuments('shared', [version])),
      );
      assert.equal(results.filter((result) => !result.documents[0]!.replaced).length, 1, 'exactly one upload created b');
      const hits = await first.search('shared', 'buoy reef', 10);
      assert.equal(hits.length, 1, 'concurrent replacements leave one copy of b');

      await second.deleteCollection('shared');
      assert.deepEqual(await first.listCollections(), []);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('sees vectors written by another instance on the next hybrid search', async (t) => {
    const embeddingsServer = await startEmbeddingsServer();
    t.after(() => embeddingsServer.close());
    const embedder = createOpenAiEmbedder({ baseUrl: embeddingsServer.baseUrl, apiKey: embeddingsServer.apiKey, model: 'test' });
    const connectionString = await postgres.createDatabase();
    const [first, second] = await Promise.all([
      createPostgresStore({ connectionString, embedder }),
      createPostgresStore({ connectionString, embedder }),
    ]);
    t.after(() => Promise.all([first.close(), second.close()]));

    await first.upsertDocuments('shared', [{ id: 'a', title: 'Anchor', text: 'The anchor chain is forty fathoms long.' }]);
    assert.deepEqual(
      (await second.search('shared', 'Ankor', 5)).map((hit) => hit.id),
      ['a'],
      'the second instance caches the vectors',
    );
    await first.upsertDocuments('shared', [{ id: 'k', title: 'Kraken', text: 'A kraken sleeps under the reef.' }]);
    assert.equal((await second.search('shared', 'Krakken', 5))[0]?.id, 'k', 'and reloads them after the first one writes');
    await first.deleteDocument('shared', 'k');
    assert.deepEqual(
      (await second.search('shared', 'Krakken', 5)).map((hit) => hit.id),
      ['a'],
      'and after a delete',
    );
  });

  it('is what createRetrievalStore opens for a database URL', async () => {
    const store = await createRetrievalStore({ databaseUrl: await postgres.createDatabase(), sqlitePath: '/nonexistent/never-created.db' });
    try {
      assert.deepEqual(store.description, { backend: 'postgres', hybrid: false });
    } finally {
      await store.close();
    }
  });

  it('survives a server restart: idle connections are replaced, not fatal', async (t) => {
    const connectionErrors: Error[] = [];
    const store = await createPostgresStore({
      connectionString: await postgres.createDatabase(),
      onConnectionError: (error) => connectionErrors.push(error),
    });
    t.after(() => store.close());
    await store.upsertDocuments('kept', [{ id: 'a', title: 'Anchor', text: 'The anchor chain is forty fathoms long.' }]);
    await postgres.restart();
    while (connectionErrors.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(
      (await store.search('kept', 'fathoms', 1)).map((hit) => hit.id),
      ['a'],
    );
  });
});
