/**
 * Grounded streams over real HTTP, on the Sluice dialect: the corpus is ingested through the API, then a
 * request with `retrieval` gets `sources` before its first token, an answer whose prompt held those
 * sources, and a `done` that names the sources it cited. Mistakes are HTTP errors before anything streams.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateAmberlineCorpus } from '../fixtures/corpus/amberline-corpus.ts';
import { eventually, startHarness, type Harness } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { answerText, eventOrder, parseEvents, requestJson } from './rag-support.ts';

const corpus = generateAmberlineCorpus();
const question = corpus.questions.find((entry) => entry.kind === 'exact')!;

let harness: Harness;
let directory: string;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-rag-'));
  harness = await startHarness({ retrievalSqlitePath: join(directory, 'retrieval.db') });
  for (let start = 0; start < corpus.documents.length; start += 100) {
    const upload = await requestJson(harness.sluice.url, 'POST', '/v1/collections/amberline/documents', {
      documents: corpus.documents.slice(start, start + 100),
    });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
  }
});

after(async () => {
  await harness.close();
  rmSync(directory, { recursive: true, force: true });
});

function ask(body: Record<string, unknown>) {
  return readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { messages: [{ role: 'user', content: question.question }], ...body } });
}

describe('a grounded stream', () => {
  it('sends sources before the first token, grounds the prompt in them, and lists the citations in done', async () => {
    harness.fake.setScenario({ tokens: ['The main export ', 'is listed in [1]', ' and again in [3].', ' See also [9].'] });
    const requestsBefore = harness.fake.requests.length;
    const stream = await ask({ retrieval: { collection: 'amberline', top_k: 5 } });
    assert.equal(stream.status, 200);
    const events = parseEvents(stream.messages);
    assert.deepEqual(eventOrder(events), ['meta', 'sources', 'token', 'usage', 'done']);
    const [meta, sources] = events.map((event) => event.data);
    const done = events.at(-1)!.data;
    assert.equal(meta!.retrieval.collection, 'amberline');
    assert.equal(meta!.retrieval.source_count, 5);
    assert.equal(typeof meta!.retrieval.duration_ms, 'number');
    assert.equal(sources!.sources.length, 5);
    for (const source of sources!.sources) {
      assert.deepEqual(Object.keys(source).sort(), ['id', 'metadata', 'score', 'snippet', 'title']);
    }
    const ids = sources!.sources.map((source: { id: string }) => source.id);
    assert.ok(
      question.relevantIds.some((id) => ids.includes(id)),
      `a relevant document among ${ids}`,
    );

    // [9] is no source of five: only 1 and 3 are citations, and they name the first and third sources.
    assert.deepEqual(done.citations, [1, 3]);
    assert.equal(done.finish_reason, 'stop');

    assert.equal(harness.fake.requests.length, requestsBefore + 1);
    const upstream = harness.fake.requests.at(-1)!.body;
    assert.equal(upstream.retrieval, undefined);
    const prompt = upstream.messages.at(-1).content as string;
    assert.match(prompt, /cite it by its number in square brackets/);
    assert.ok(prompt.endsWith(`Question: ${question.question}`), prompt.slice(-200));
    sources!.sources.forEach((source: { title: string }, index: number) => {
      assert.ok(prompt.includes(`<source id="${index + 1}" title="${source.title}`), `source ${index + 1} in the prompt`);
    });
  });

  it('finds a citation split across deltas, and ranges', async () => {
    harness.fake.setScenario({ tokens: ['Both [', '2', '] and [1', '-', '3', '].'] });
    const events = parseEvents((await ask({ retrieval: { collection: 'amberline', top_k: 4 } })).messages);
    assert.deepEqual(events.at(-1)!.data.citations, [1, 2, 3]);
  });

  it('lists no citations when the answer cites nothing, and none at all without retrieval', async () => {
    harness.fake.setScenario({ text: 'No sources were needed.' });
    const grounded = parseEvents((await ask({ retrieval: { collection: 'amberline' } })).messages);
    assert.deepEqual(grounded.at(-1)!.data, { type: 'done', finish_reason: 'stop', citations: [] });
    assert.equal(grounded[1]!.data.sources.length, 5, 'SLUICE_RETRIEVAL_TOP_K sources by default');
    const plain = parseEvents((await ask({})).messages);
    assert.deepEqual(eventOrder(plain), ['meta', 'token', 'usage', 'done']);
    assert.equal(plain[0]!.data.retrieval, undefined);
    assert.deepEqual(plain.at(-1)!.data, { type: 'done', finish_reason: 'stop' });
  });

  it('takes collection and top_k as query parameters on GET, for EventSource', async () => {
    harness.fake.setScenario({ text: 'From the sources [2].' });
    const query = new URLSearchParams({ prompt: question.question, collection: 'amberline', top_k: '3', resumable: '0' });
    const events = parseEvents((await readStream(`${harness.sluice.url}/v1/chat/stream?${query}`)).messages);
    assert.equal(events[1]!.event, 'sources');
    assert.equal(events[1]!.data.sources.length, 3);
    assert.deepEqual(events.at(-1)!.data.citations, [2]);
  });

  it('keeps the sources and citations of a resumable stream for a replay', async () => {
    harness.fake.setScenario({ text: 'Resumable and grounded [1].' });
    const live = parseEvents((await ask({ retrieval: { collection: 'amberline', top_k: 2 }, resumable: true })).messages);
    const streamId = live[0]!.data.stream_id as string;
    const replay = parseEvents((await readStream(`${harness.sluice.url}/v1/streams/${streamId}`)).messages);
    assert.deepEqual(eventOrder(replay), eventOrder(live));
    assert.equal(answerText(replay), answerText(live));
    assert.deepEqual(replay[0]!.data, live[0]!.data);
    assert.deepEqual(replay[1]!.data, live[1]!.data);
    assert.equal(replay[1]!.event, 'sources');
    assert.deepEqual(replay.at(-1)!.data.citations, [1]);
  });

  it('logs the retrieval with the stream', async () => {
    harness.fake.setScenario({ text: 'Logged.' });
    const stream = await ask({ retrieval: { collection: 'amberline', top_k: 3 } });
    const requestId = parseEvents(stream.messages)[0]!.data.trace_id;
    const line = await harness.waitForLog((record) => record.request_id === requestId && record.msg === 'stream ended');
    assert.equal(line.outcome, 'completed');
    assert.deepEqual(Object.keys(line.retrieval as object).sort(), ['collection', 'duration_ms', 'sources']);
    assert.equal((line.retrieval as { sources: number }).sources, 3);
  });

  it('stops the upstream when the client leaves a grounded stream', async () => {
    harness.fake.setScenario({ text: 'word '.repeat(50), tokenIntervalMs: 20 });
    const requestsBefore = harness.fake.requests.length;
    const stream = await openStream(`${harness.sluice.url}/v1/chat/stream`, {
      body: { prompt: question.question, retrieval: { collection: 'amberline' } },
    });
    await eventually(() => stream.messages.some((message) => message.event === 'token'), 'the first token');
    assert.equal(stream.messages[1]!.event, 'sources');
    const upstream = harness.fake.requests[requestsBefore]!;
    const closedAt = stream.destroy();
    const upstreamClosedAt = await upstream.socketClosed;
    assert.ok(upstreamClosedAt - closedAt < 500, `upstream closed ${upstreamClosedAt - closedAt} ms after the client`);
    const requestId = JSON.parse(stream.messages[0]!.data).trace_id;
    const line = await harness.waitForLog((record) => record.request_id === requestId && record.msg === 'stream ended');
    assert.equal(line.outcome, 'cancelled');
  });
});

describe('refused before anything streams', () => {
  const cases: { name: string; body: Record<string, unknown>; status: number; param: string; message: RegExp }[] = [
    {
      name: 'a missing collection',
      body: { prompt: 'Anything?', retrieval: { collection: 'nowhere' } },
      status: 404,
      param: 'collection',
      message: /Collection "nowhere" does not exist/,
    },
    {
      name: 'an invalid collection name',
      body: { prompt: 'Anything?', retrieval: { collection: 'No Such' } },
      status: 400,
      param: 'collection',
      message: /Collection name "No Such" is invalid/,
    },
    {
      name: 'no user message to search for',
      body: { messages: [{ role: 'system', content: 'Be brief.' }], retrieval: { collection: 'amberline' } },
      status: 400,
      param: 'messages',
      message: /retrieval needs a user message with text/,
    },
    {
      name: 'a top_k out of range',
      body: { prompt: 'Anything?', retrieval: { collection: 'amberline', top_k: 51 } },
      status: 400,
      param: 'retrieval.top_k',
      message: /Invalid field "retrieval.top_k"/,
    },
    {
      name: 'a misspelt retrieval key',
      body: { prompt: 'Anything?', retrieval: { collection: 'amberline', topK: 3 } },
      status: 400,
      param: 'retrieval.topK',
      message: /^Unknown field "retrieval\.topK" \(did you mean "retrieval\.top_k"\?\)$/,
    },
  ];
  for (const { name, body, status, param, message } of cases) {
    it(`answers ${status} to ${name}, and never calls the upstream`, async () => {
      const requestsBefore = harness.fake.requests.length;
      const answer = await requestJson(harness.sluice.url, 'POST', '/v1/chat/stream', body);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.match(String(answer.headers['content-type']), /^application\/json/);
      assert.equal(answer.error?.param, param);
      assert.match(answer.error!.message, message);
      assert.equal(harness.fake.requests.length, requestsBefore);
    });
  }

  it('answers 400 to retrieval on /v1/chat/text, whose plain text cannot carry sources', async () => {
    const post = await requestJson(harness.sluice.url, 'POST', '/v1/chat/text', { prompt: 'Hi', retrieval: { collection: 'amberline' } });
    assert.equal(post.status, 400);
    assert.equal(post.error?.param, 'retrieval');
    const get = await requestJson(harness.sluice.url, 'GET', '/v1/chat/text?prompt=Hi&collection=amberline');
    assert.equal(get.status, 400);
    assert.equal(get.error?.param, 'collection');
    assert.match(get.error!.message, /use \/v1\/chat\/stream/);
  });

  it('answers 400 to top_k without collection on GET', async () => {
    const answer = await requestJson(harness.sluice.url, 'GET', '/v1/chat/stream?prompt=hi&top_k=3');
    assert.equal(answer.status, 400);
    assert.equal(answer.error?.param, 'top_k');
  });
});
