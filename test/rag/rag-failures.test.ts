/**
 * When retrieval fails or waits: a hybrid store whose embeddings endpoint (the fake provider's
 * `/v1/embeddings`) refuses, hangs, or rate-limits. Retrieval runs before the first byte, so each ends as
 * an upstream failure before the first byte does: a real HTTP status with a JSON error, a cancel that
 * reaches the endpoint's socket, a timeout; and the model is never called.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Settings } from '../../packages/server/src/server/config/settings.ts';
import type { RecordedRequest, Scenario } from '../support/fake-provider/index.ts';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { parseEvents, requestJson } from './rag-support.ts';

const documents = [
  { id: 'tides', title: 'Tides of Velmar', text: 'The spring tide at Velmar harbour rises six metres.' },
  { id: 'lamps', title: 'Lighthouse lamps', text: 'The Velmar lighthouse burns whale oil in winter.' },
];
const question = { role: 'user', content: 'How high is the spring tide at Velmar?' };

let directory: string;
const harnesses: Harness[] = [];

before(() => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-rag-failures-'));
});

after(async () => {
  await Promise.all(harnesses.map((harness) => harness.close()));
  rmSync(directory, { recursive: true, force: true });
});

/** A Sluice whose retrieval is hybrid, embedding through the fake provider, with the documents uploaded. */
async function startHybrid(name: string, settings: Partial<Settings> = {}): Promise<Harness> {
  const harness = await startHarness((fake) => ({
    retrievalSqlitePath: join(directory, `${name}.db`),
    embeddingsBaseUrl: fake.url,
    embeddingsApiKey: 'sk-embeddings-secret',
    ...settings,
  }));
  harnesses.push(harness);
  const upload = await requestJson(harness.sluice.url, 'POST', '/v1/collections/harbour/documents', { documents });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
  return harness;
}

/** `embeddings` for `/v1/embeddings`, a short answer for everything else. */
function embeddingsScenario(embeddings: Scenario): (request: RecordedRequest) => Scenario {
  return (request) => (request.path === '/v1/embeddings' ? embeddings : { text: 'Six metres [1].' });
}

const chatRequests = (harness: Harness) => harness.fake.requests.filter((request) => request.path === '/v1/chat/completions').length;

let harness: Harness;
before(async () => {
  harness = await startHybrid('main');
});

describe('hybrid retrieval', () => {
  it('embeds the query and streams sources from the fused ranking', async () => {
    harness.fake.setScenario(embeddingsScenario({}));
    const embeddingsBefore = harness.fake.requests.filter((request) => request.path === '/v1/embeddings').length;
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, {
      body: { messages: [question], retrieval: { collection: 'harbour', top_k: 2 } },
    });
    const events = parseEvents(stream.messages);
    assert.equal(events[1]!.event, 'sources');
    assert.equal(events[1]!.data.sources[0].id, 'tides');
    const embeddings = harness.fake.requests.filter((request) => request.path === '/v1/embeddings');
    assert.equal(embeddings.length, embeddingsBefore + 1);
    assert.equal(embeddings.at(-1)!.headers.authorization, 'Bearer sk-embeddings-secret');
    assert.deepEqual(embeddings.at(-1)!.body.input, [question.content]);
  });
});

describe('a retrieval that fails before the first byte', () => {
  it('is a 502 naming the embeddings endpoint, never quoting its body or key, and the model is not called', async () => {
    harness.fake.setScenario(embeddingsScenario({ status: 500 }));
    const chatsBefore = chatRequests(harness);
    const answer = await requestJson(harness.sluice.url, 'POST', '/v1/chat/stream', { messages: [question], retrieval: { collection: 'harbour' } });
    assert.equal(answer.status, 502);
    assert.equal(answer.error?.code, 'upstream_error');
    assert.match(answer.error!.message, /Embeddings endpoint answered HTTP 500/);
    assert.doesNotMatch(JSON.stringify(answer.body), /sk-embeddings-secret|Fake/);
    assert.equal(chatRequests(harness), chatsBefore);
    const requestId = answer.headers['x-request-id'];
    const line = await harness.waitForLog((record) => record.request_id === requestId && record.msg === 'stream ended');
    assert.equal(line.outcome, 'error');
    assert.equal(line.error_code, 'upstream_error');
  });

  it('is a 429 with the retry-after of a rate-limited embeddings endpoint', async () => {
    harness.fake.setScenario(embeddingsScenario({ status: 429, responseHeaders: { 'retry-after': '7' } }));
    const answer = await requestJson(harness.sluice.url, 'POST', '/v1/chat/stream', { messages: [question], retrieval: { collection: 'harbour' } });
    assert.equal(answer.status, 429);
    assert.equal(answer.headers['retry-after'], '7');
    assert.equal(answer.error?.code, 'rate_limited');
  });

  it('is an OpenAI-shaped error on /v1/chat/completions', async () => {
    harness.fake.setScenario(embeddingsScenario({ status: 503 }));
    const answer = await requestJson(harness.sluice.url, 'POST', '/v1/chat/completions', {
      model: 'gpt-test',
      stream: true,
      messages: [question],
      retrieval: { collection: 'harbour' },
    });
    assert.equal(answer.status, 502);
    assert.deepEqual(Object.keys(answer.error!).sort(), ['code', 'message', 'param', 'type']);
  });

  it('writes nothing of an upload whose embedding fails', async () => {
    harness.fake.setScenario(embeddingsScenario({ status: 500 }));
    const answer = await requestJson(harness.sluice.url, 'POST', '/v1/collections/harbour/documents', {
      id: 'new',
      title: 'New',
      text: 'A document that never lands.',
    });
    assert.equal(answer.status, 502);
    const listing = await requestJson(harness.sluice.url, 'GET', '/v1/collections/harbour/documents');
    assert.deepEqual(
      (listing.body as { documents: { id: string }[] }).documents.map((document) => document.id),
      ['lamps', 'tides'],
    );
  });
});

describe('retrieval metrics', () => {
  it('counts searches by outcome, with their duration', async () => {
    const metrics = await (await fetch(`${harness.sluice.url}/metrics`)).text();
    const count = (outcome: string): number => Number(new RegExp(`^sluice_retrieval_seconds_count\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    assert.ok(count('ok') >= 1, metrics);
    assert.ok(count('error') >= 3, 'the refused, rate-limited and unavailable embeddings above');
    assert.match(metrics, /^sluice_retrieval_seconds_bucket\{le="0\.005",outcome="ok"\} \d+$/m);
  });
});

describe('a retrieval that waits', () => {
  it('is cancelled when the client leaves: the embedding request is aborted and the model never called', async () => {
    harness.fake.setScenario(embeddingsScenario({ fault: { afterTokens: 0, kind: 'hang' } }));
    const chatsBefore = chatRequests(harness);
    const waiting = harness.fake.waitForRequest();
    const stream = await new Promise<{ destroy(): void }>((resolve) => {
      void openStream(`${harness.sluice.url}/v1/chat/stream`, {
        body: { messages: [question], retrieval: { collection: 'harbour' } },
        onRequest: (request) => resolve({ destroy: () => request.destroy() }),
      });
    });
    const embedding = await waiting;
    assert.equal(embedding.path, '/v1/embeddings');
    const closedAt = performance.now();
    stream.destroy();
    const embeddingClosedAt = await embedding.socketClosed;
    assert.ok(embeddingClosedAt - closedAt < 500, `embedding request closed ${embeddingClosedAt - closedAt} ms after the client`);
    const line = await harness.waitForLog((record) => record.msg === 'stream ended' && record.outcome === 'cancelled');
    assert.equal(line.reason, 'client_closed');
    assert.equal(chatRequests(harness), chatsBefore);
  });

  it('ends with a 504 when the first-token timeout passes during retrieval', async () => {
    const impatient = await startHybrid('impatient', { firstTokenTimeoutMs: 300 });
    impatient.fake.setScenario(embeddingsScenario({ fault: { afterTokens: 0, kind: 'hang' } }));
    const startedAt = performance.now();
    const answer = await requestJson(impatient.sluice.url, 'POST', '/v1/chat/stream', { messages: [question], retrieval: { collection: 'harbour' } });
    assert.equal(answer.status, 504);
    assert.equal(answer.error?.code, 'upstream_timeout');
    assert.ok(performance.now() - startedAt < 2000);
    assert.equal(chatRequests(impatient), 0);
  });
});
