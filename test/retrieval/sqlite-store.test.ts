import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRetrievalStore } from '../../packages/server/src/retrieval/create-retrieval-store.ts';
import { createSqliteStore } from '../../packages/server/src/retrieval/sqlite/sqlite-store.ts';
import { describeRetrievalStoreContract } from './retrieval-store-contract.ts';

const directory = mkdtempSync(join(tmpdir(), 'sluice-sqlite-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let fileCount = 0;

describeRetrievalStoreContract('sqlite (:memory:)', async (options) => createSqliteStore({ ...options, path: ':memory:' }), {
  hybrid: false,
});
describeRetrievalStoreContract(
  'sqlite (file)',
  async (options) => createSqliteStore({ ...options, path: join(directory, `${++fileCount}.db`) }),
  {
    hybrid: true,
  },
);

describe('sqlite store', () => {
  it('persists collections to its file across reopening', async () => {
    const path = join(directory, 'persist.db');
    const first = createSqliteStore({ path });
    await first.upsertDocuments('kept', [
      { id: 'a', title: 'Anchor', text: 'The anchor chain is forty fathoms long.', metadata: { n: 1 } },
    ]);
    await first.close();

    const second = createSqliteStore({ path });
    try {
      assert.deepEqual(
        (await second.listCollections()).map((collection) => collection.name),
        ['kept'],
      );
      const [hit] = await second.search('kept', 'fathoms', 1);
      assert.deepEqual([hit?.id, hit?.metadata], ['a', { n: 1 }]);
    } finally {
      await second.close();
    }
  });

  it('is what createRetrievalStore opens without a database URL, creating the folder of its file', async () => {
    const sqlitePath = join(directory, 'nested', 'folder', 'retrieval.db');
    const store = await createRetrievalStore({ databaseUrl: '', sqlitePath, embeddings: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm' } });
    try {
      assert.deepEqual(store.description, { backend: 'sqlite', hybrid: true });
      await store.createCollection('made');
    } finally {
      await store.close();
    }
    const reopened = createSqliteStore({ path: sqlitePath });
    assert.deepEqual(
      (await reopened.listCollections()).map((collection) => collection.name),
      ['made'],
    );
    await reopened.close();
  });
});
