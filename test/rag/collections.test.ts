/** The collections API over real HTTP: upload, replace, list and page, delete, and every refusal. */

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { requestJson } from './rag-support.ts';

let harness: Harness;
let directory: string;
let send: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => ReturnType<typeof requestJson>;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-collections-'));
  harness = await startHarness({ retrievalSqlitePath: join(directory, 'nested', 'retrieval.db'), maxUploadBytes: 200_000 });
  send = (method, path, body, headers) => requestJson(harness.sluice.url, method, path, body, headers);
});

after(async () => {
  await harness.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('documents', () => {
  it('uploads one document, then a batch, and lists collections with their counts', async () => {
    const one = await send('POST', '/v1/collections/handbook/documents', {
      id: 'leave.md',
      title: 'Leave policy',
      text: '# Leave\n\nEmployees get 30 days of paid leave a year.',
      metadata: { team: 'people' },
    });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, { collection: 'handbook', documents: [{ id: 'leave.md', chunk_count: 1, replaced: false }] });
    assert.ok(one.headers['x-request-id']);

    const batch = await send('POST', '/v1/collections/handbook/documents', {
      documents: [
        { id: 'guides/travel.md', title: 'Travel', text: 'Book trains for trips under 500 km.' },
        { id: 'expenses.txt', title: 'Expenses', text: 'Receipts within 14 days.', format: 'text' },
      ],
    });
    assert.equal(batch.status, 200);
    assert.deepEqual(
      (batch.body as { documents: { id: string }[] }).documents.map((document) => document.id),
      ['guides/travel.md', 'expenses.txt'],
    );

    const collections = await send('GET', '/v1/collections');
    assert.equal(collections.status, 200);
    const [handbook] = (collections.body as { collections: Record<string, unknown>[] }).collections;
    assert.equal(handbook!.name, 'handbook');
    assert.equal(handbook!.document_count, 3);
    assert.equal(handbook!.chunk_count, 3);
    assert.match(String(handbook!.created_at), /^\d{4}-\d\d-\d\dT/);

    const single = await send('GET', '/v1/collections/handbook');
    assert.deepEqual(single.body, handbook);
  });

  it('replaces a document uploaded again under the same id', async () => {
    const text = Array.from({ length: 40 }, (_, index) => `## Part ${index}\n\n${'Paragraph text about leave. '.repeat(12)}`).join('\n\n');
    const replaced = await send('POST', '/v1/collections/handbook/documents', { id: 'leave.md', title: 'Leave policy, long', text });
    assert.equal(replaced.status, 200);
    const [written] = (replaced.body as { documents: { chunk_count: number; replaced: boolean }[] }).documents;
    assert.equal(written!.replaced, true);
    assert.ok(written!.chunk_count > 1, `chunk_count ${written!.chunk_count}`);

    const page = await send('GET', '/v1/collections/handbook/documents');
    const leave = (page.body as { documents: Record<string, unknown>[] }).documents.find((document) => document.id === 'leave.md');
    assert.equal(leave!.title, 'Leave policy, long');
    assert.equal(leave!.chunk_count, written!.chunk_count);
    assert.deepEqual(leave!.metadata, {});
    assert.equal(leave!.text_bytes, Buffer.byteLength(text));
  });

  it('pages the documents of a collection by id', async () => {
    const first = await send('GET', '/v1/collections/handbook/documents?limit=2');
    assert.equal(first.status, 200);
    const firstBody = first.body as { documents: { id: string }[]; next_after: string | null };
    assert.deepEqual(
      firstBody.documents.map((document) => document.id),
      ['expenses.txt', 'guides/travel.md'],
    );
    assert.equal(firstBody.next_after, 'guides/travel.md');
    const second = await send('GET', `/v1/collections/handbook/documents?limit=2&after=${encodeURIComponent(firstBody.next_after!)}`);
    const secondBody = second.body as { documents: { id: string }[]; next_after: string | null };
    assert.deepEqual(
      secondBody.documents.map((document) => document.id),
      ['leave.md'],
    );
    assert.equal(secondBody.next_after, null);
  });

  it('deletes a document whose id holds a slash, sent as %2F', async () => {
    const deleted = await send('DELETE', `/v1/collections/handbook/documents/${encodeURIComponent('guides/travel.md')}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { collection: 'handbook', id: 'guides/travel.md', deleted: true });
    const again = await send('DELETE', `/v1/collections/handbook/documents/${encodeURIComponent('guides/travel.md')}`);
    assert.equal(again.status, 404);
    assert.equal(again.error?.code, 'not_found');
    assert.match(again.error!.message, /guides\/travel\.md/);
  });

  it('deletes a whole collection', async () => {
    await send('POST', '/v1/collections/scratch/documents', { id: 'a', title: 'A', text: 'Something to delete.' });
    assert.equal((await send('DELETE', '/v1/collections/scratch')).status, 200);
    assert.equal((await send('GET', '/v1/collections/scratch')).status, 404);
    assert.equal((await send('GET', '/v1/collections/scratch/documents')).status, 404);
    assert.equal((await send('DELETE', '/v1/collections/scratch')).status, 404);
    const names = (await send('GET', '/v1/collections')).body as { collections: { name: string }[] };
    assert.deepEqual(
      names.collections.map((collection) => collection.name),
      ['handbook'],
    );
  });
});

describe('refusals', () => {
  const cases: { name: string; method: string; path: string; body?: unknown; raw?: string; status: number; code: string; message: RegExp }[] = [
    {
      name: 'a collection name with capitals',
      method: 'POST',
      path: '/v1/collections/Handbook/documents',
      body: { id: 'a', title: 'A', text: 'x' },
      status: 400,
      code: 'bad_request',
      message: /Collection name "Handbook" is invalid/,
    },
    {
      name: 'a document without text',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { id: 'a', title: 'A' },
      status: 400,
      code: 'bad_request',
      message: /documents\[0\] \(id "a"\): text must be a non-empty string/,
    },
    {
      name: 'a misspelt document field',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { id: 'a', titel: 'A', text: 'x' },
      status: 400,
      code: 'bad_request',
      message: /^documents\[0\]: unknown field "titel"; a document holds id, title, text, format, metadata$/,
    },
    {
      name: 'a field beside a batch’s documents',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { collection: 'handbook', documents: [{ id: 'a', title: 'A', text: 'x' }] },
      status: 400,
      code: 'bad_request',
      message: /^Unknown field "collection": a batch is \{"documents": \[\.\.\.\]\} and nothing else$/,
    },
    {
      name: 'a title that is not a string',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { id: 'a', title: 7, text: 'x' },
      status: 400,
      code: 'bad_request',
      message: /^documents\[0\] \(id "a"\): title must be a string of at most 512 characters without NUL, got the number 7$/,
    },
    {
      name: 'a batch that is not an array',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { documents: { id: 'a' } },
      status: 400,
      code: 'bad_request',
      message: /^documents must be an array, got an object$/,
    },
    {
      name: 'the same id twice in a batch',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: {
        documents: [
          { id: 'a', title: 'A', text: 'x' },
          { id: 'a', title: 'A', text: 'y' },
        ],
      },
      status: 400,
      code: 'bad_request',
      message: /appears more than once/,
    },
    {
      name: 'a body that is not JSON',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      raw: '{"id":',
      status: 400,
      code: 'bad_request',
      message: /not valid JSON/,
    },
    {
      name: 'too many documents in a batch',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { documents: Array.from({ length: 101 }, (_, index) => ({ id: `d${index}`, title: 'T', text: 'x' })) },
      status: 413,
      code: 'payload_too_large',
      message: /Too many documents in one batch: 101, the limit is 100/,
    },
    {
      name: 'a body over SLUICE_MAX_UPLOAD_BYTES',
      method: 'POST',
      path: '/v1/collections/handbook/documents',
      body: { id: 'big', title: 'Big', text: 'x'.repeat(250_000) },
      status: 413,
      code: 'payload_too_large',
      message: /larger than the limit of 200000 bytes/,
    },
    {
      name: 'a limit out of range',
      method: 'GET',
      path: '/v1/collections/handbook/documents?limit=5000',
      status: 400,
      code: 'bad_request',
      message: /^limit must be an integer from 1 to 1000, got the number 5000$/,
    },
    {
      name: 'a limit that is not a number',
      method: 'GET',
      path: '/v1/collections/handbook/documents?limit=ten',
      status: 400,
      code: 'bad_request',
      message: /^limit must be an integer from 1 to 1000, got the string "ten"$/,
    },
    {
      name: 'a missing collection',
      method: 'GET',
      path: '/v1/collections/nowhere/documents',
      status: 404,
      code: 'not_found',
      message: /Collection "nowhere" does not exist/,
    },
    {
      name: 'a malformed percent-encoding',
      method: 'DELETE',
      path: '/v1/collections/handbook/documents/%E0%A4%A',
      status: 400,
      code: 'bad_request',
      message: /not valid percent-encoding/,
    },
    {
      name: 'a method the path does not serve',
      method: 'PUT',
      path: '/v1/collections/handbook/documents',
      status: 405,
      code: 'method_not_allowed',
      message: /use GET, POST/,
    },
    {
      name: 'an empty path segment',
      method: 'GET',
      path: '/v1/collections//documents',
      status: 404,
      code: 'not_found',
      message: /No route/,
    },
  ];
  for (const { name, method, path, body, raw, status, code, message } of cases) {
    it(`answers ${status} ${code} to ${name}`, async () => {
      const answer = await send(method, path, raw ?? body);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.error?.code, code);
      assert.match(answer.error!.message, message);
    });
  }

  it('writes nothing of a batch that fails', async () => {
    const before = await send('GET', '/v1/collections/handbook');
    const refused = await send('POST', '/v1/collections/handbook/documents', {
      documents: [
        { id: 'fine', title: 'Fine', text: 'A good document.' },
        { id: 'bad', title: 7, text: 'A bad title.' },
      ],
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.error?.param, 'documents[1].title');
    assert.deepEqual((await send('GET', '/v1/collections/handbook')).body, before.body);
  });
});

describe('a store never written to', () => {
  it('answers reads without creating its SQLite file, and the first upload creates it', async () => {
    const path = join(directory, 'fresh', 'retrieval.db');
    const fresh = await startHarness({ retrievalSqlitePath: path });
    try {
      const ask = (method: string, path: string, body?: unknown) => requestJson(fresh.sluice.url, method, path, body);
      assert.deepEqual((await ask('GET', '/v1/collections')).body, { collections: [] });
      for (const [method, url, body] of [
        ['GET', '/v1/collections/handbook', undefined],
        ['GET', '/v1/collections/handbook/documents', undefined],
        ['DELETE', '/v1/collections/handbook', undefined],
        ['DELETE', '/v1/collections/handbook/documents/a', undefined],
        ['POST', '/v1/chat/stream', { prompt: 'Anything?', retrieval: { collection: 'handbook' } }],
      ] as const) {
        const answer = await ask(method, url, body);
        assert.equal(answer.status, 404, `${method} ${url}`);
        assert.equal(answer.error?.message, 'Collection "handbook" does not exist');
      }
      assert.equal((await ask('GET', '/v1/collections/Bad%20Name')).status, 400);
      assert.equal(existsSync(path), false, 'no file after reads');

      assert.equal((await ask('POST', '/v1/collections/handbook/documents', { id: 'a', title: 'A', text: 'First.' })).status, 200);
      assert.equal(existsSync(path), true);
      assert.equal((await ask('GET', '/v1/collections/handbook')).status, 200);
    } finally {
      await fresh.close();
    }
  });
});
