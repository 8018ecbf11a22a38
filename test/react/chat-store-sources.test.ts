/** The chat store against a real Sluice with a collection: a grounded answer keeps its sources and citations. */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createChatStore } from '@sluice/react';
import { requestJson } from '../rag/rag-support.ts';
import { startHarness, type Harness } from '../support/sluice-harness.ts';

let harness: Harness;
let directory: string;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-store-sources-'));
  harness = await startHarness({ retrievalSqlitePath: join(directory, 'retrieval.db') });
  await requestJson(harness.sluice.url, 'POST', '/v1/collections/harbour/documents', {
    documents: [
      { id: 'tides', title: 'Tides of Velmar', text: 'The spring tide at Velmar harbour rises six metres.', metadata: { url: 'https://example.com/tides' } },
      { id: 'lamps', title: 'Lighthouse lamps', text: 'The Velmar lighthouse burns whale oil in winter.' },
    ],
  });
});

after(async () => {
  await harness.close();
  rmSync(directory, { recursive: true, force: true });
});

it('keeps the sources and the citations of a grounded answer on its message', async () => {
  harness.fake.setScenario({ text: 'Six metres [1].' });
  const store = createChatStore({ baseUrl: harness.sluice.url });
  await store.send('How high is the spring tide at Velmar?', { parameters: { retrieval: { collection: 'harbour', top_k: 2 } } });
  const answer = store.getSnapshot().messages.at(-1)!;
  assert.equal(answer.content, 'Six metres [1].');
  assert.deepEqual(
    answer.sources?.map((source) => source.id),
    ['tides', 'lamps'],
  );
  assert.deepEqual(answer.sources?.[0]?.metadata, { url: 'https://example.com/tides' });
  assert.deepEqual(answer.citations, [1]);

  harness.fake.setScenario({ text: 'No sources.' });
  await store.send('And without a collection?');
  const plain = store.getSnapshot().messages.at(-1)!;
  assert.equal(plain.sources, undefined);
  assert.equal(plain.citations, undefined);
});
