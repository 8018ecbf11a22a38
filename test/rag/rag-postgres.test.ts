/**
 * Collections in PostgreSQL (a private server on a free port): two Sluice instances with the same
 * DATABASE_URL share them, each seeing the other's uploads, replacements and deletions at once; a
 * database that restarts or cannot be reached is an error on the requests that need it, never a crash.
 */

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type TemporaryPostgres } from '../retrieval/start-postgres.ts';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';
import { parseEvents, requestJson } from './rag-support.ts';

let postgres: TemporaryPostgres;
let first: Harness;
let second: Harness;

before(async () => {
  postgres = await startPostgres();
  const databaseUrl = await postgres.createDatabase();
  [first, second] = await Promise.all([startHarness({ databaseUrl }), startHarness({ databaseUrl })]);
});

after(async () => {
  await Promise.all([first?.close(), second?.close()]);
  await postgres?.stop();
});

const send = (harness: Harness, method: string, path: string, body?: unknown) => requestJson(harness.sluice.url, method, path, body);

async function askForSources(harness: Harness, prompt: string): Promise<{ id: string; title: string }[]> {
  harness.fake.setScenario({ text: 'Answered [1].' });
  const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt, retrieval: { collection: 'fleet', top_k: 3 } } });
  const events = parseEvents(stream.messages);
  assert.equal(events[1]?.event, 'sources', stream.raw());
  assert.deepEqual(events.at(-1)!.data.citations, [1]);
  return events[1]!.data.sources;
}

describe('two instances on one database', () => {
  it('see the documents uploaded through either', async () => {
    const upload = await send(first, 'POST', '/v1/collections/fleet/documents', {
      documents: [
        { id: 'ships/heron.md', title: 'The Heron', text: '# The Heron\n\nA schooner of forty tonnes, built at Kessa in 1802.' },
        { id: 'ships/gull.md', title: 'The Gull', text: '# The Gull\n\nA brig that carries copper from Torvel.' },
      ],
    });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));

    const collections = (await send(second, 'GET', '/v1/collections')).body as { collections: { name: string; document_count: number }[] };
    assert.deepEqual(
      collections.collections.map(({ name, document_count }) => ({ name, document_count })),
      [{ name: 'fleet', document_count: 2 }],
    );
    const sources = await askForSources(second, 'Where was the schooner Heron built?');
    assert.equal(sources[0]!.id, 'ships/heron.md');
  });

  it('see a replacement and a deletion made through the other', async () => {
    const replaced = await send(second, 'POST', '/v1/collections/fleet/documents', {
      id: 'ships/heron.md',
      title: 'The Heron, refitted',
      text: '# The Heron\n\nA schooner of forty tonnes, built at Kessa in 1802 and refitted at Velmar in 1830.',
    });
    assert.equal((replaced.body as { documents: { replaced: boolean }[] }).documents[0]!.replaced, true);
    const sources = await askForSources(first, 'Where was the Heron refitted?');
    assert.equal(sources[0]!.title, 'The Heron, refitted');

    assert.equal((await send(first, 'DELETE', `/v1/collections/fleet/documents/${encodeURIComponent('ships/gull.md')}`)).status, 200);
    const listing = (await send(second, 'GET', '/v1/collections/fleet/documents')).body as { documents: { id: string }[] };
    assert.deepEqual(
      listing.documents.map((document) => document.id),
      ['ships/heron.md'],
    );
  });

  it('agree that a deleted collection is gone: 404 before anything streams', async () => {
    await send(first, 'POST', '/v1/collections/brief/documents', { id: 'a', title: 'A', text: 'Short lived.' });
    assert.equal((await send(second, 'DELETE', '/v1/collections/brief')).status, 200);
    const requestsBefore = first.fake.requests.length;
    const answer = await send(first, 'POST', '/v1/chat/stream', { prompt: 'Short?', retrieval: { collection: 'brief' } });
    assert.equal(answer.status, 404);
    assert.equal(first.fake.requests.length, requestsBefore);
  });

  it('keep serving after the database restarts', async () => {
    await postgres.restart();
    const sources = await askForSources(first, 'Where was the Heron refitted?');
    assert.equal(sources[0]!.id, 'ships/heron.md');
    assert.equal((await send(second, 'GET', '/v1/collections')).status, 200);
  });
});

describe('a database that cannot be reached', () => {
  let unreachable: Harness;
  before(async () => {
    unreachable = await startHarness({ databaseUrl: `postgres://postgres@127.0.0.1:${await findClosedPort()}/sluice` });
  });
  after(() => unreachable.close());

  it('is a retryable 502 for the requests that need it, naming the store and nothing of its address', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/collections', undefined],
      ['POST', '/v1/chat/stream', { prompt: 'Hello?', retrieval: { collection: 'fleet' } }],
    ] as const) {
      const answer = await send(unreachable, method, path, body);
      assert.equal(answer.status, 502, `${method} ${path}`);
      assert.equal(answer.error?.code, 'upstream_error');
      assert.match(answer.error!.message, /The retrieval store \(postgres\) failed/);
      assert.doesNotMatch(answer.error!.message, /127\.0\.0\.1|ECONNREFUSED/);
    }
    const logged = await unreachable.waitForLog((record) => record.msg === 'retrieval store failed');
    assert.equal(logged.backend, 'postgres');
  });

  it('leaves the rest of Sluice serving', async () => {
    assert.equal((await send(unreachable, 'GET', '/healthz')).status, 200);
    unreachable.fake.setScenario({ text: 'Still here.' });
    const stream = await readStream(`${unreachable.sluice.url}/v1/chat/stream`, { body: { prompt: 'Hello?' } });
    assert.equal(parseEvents(stream.messages).at(-1)!.data.finish_reason, 'stop');
  });
});

/** A port nothing listens on: one the kernel just handed out and took back. */
async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
