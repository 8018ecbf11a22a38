/**
 * Retrieval on the OpenAI-compatible endpoint: opt-in through the same `retrieval` field, sources in a
 * `sluice_sources` chunk before the first token and citations on the finish chunk, which the official
 * `openai` client passes through without noticing.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';
import { requestJson } from './rag-support.ts';

const documents = [
  { id: 'tides', title: 'Tides of Velmar', text: 'The spring tide at Velmar harbour rises six metres.' },
  { id: 'lamps', title: 'Lighthouse lamps', text: 'The Velmar lighthouse burns whale oil in winter.' },
  { id: 'fish', title: 'Fish market', text: 'Cod is sold at dawn on the quay of Velmar.' },
];
const question = 'How high does the spring tide rise at Velmar harbour?';
const retrieval = { collection: 'harbour', top_k: 3 };

let harness: Harness;
let directory: string;
let client: OpenAI;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-rag-openai-'));
  harness = await startHarness({ retrievalSqlitePath: join(directory, 'retrieval.db') });
  client = new OpenAI({ apiKey: 'client-key', baseURL: `${harness.sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
  const upload = await requestJson(harness.sluice.url, 'POST', '/v1/collections/harbour/documents', { documents });
  assert.equal(upload.status, 200);
});

after(async () => {
  await harness.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('retrieval on /v1/chat/completions', () => {
  it('streams a sluice_sources chunk before the first content and sluice_citations on the finish chunk', async () => {
    harness.fake.setScenario({ text: 'Six metres [1].' });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/completions`, {
      body: { model: 'gpt-test', stream: true, messages: [{ role: 'user', content: question }], retrieval },
    });
    const chunks = stream.messages.filter((message) => message.data !== '[DONE]').map((message) => JSON.parse(message.data));
    const sourcesAt = chunks.findIndex((chunk) => chunk.sluice_sources !== undefined);
    const firstContentAt = chunks.findIndex((chunk) => chunk.choices[0]?.delta.content);
    assert.ok(sourcesAt > 0 && sourcesAt < firstContentAt, `sources at ${sourcesAt}, first content at ${firstContentAt}`);
    assert.deepEqual(chunks[sourcesAt].choices, [{ index: 0, delta: {}, finish_reason: null }]);
    assert.equal(chunks[sourcesAt].sluice_sources[0].id, 'tides');
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason === 'stop');
    assert.deepEqual(finish.sluice_citations, [1]);
    assert.equal(stream.messages.at(-1)!.data, '[DONE]');

    const upstream = harness.fake.requests.at(-1)!.body;
    assert.equal(upstream.retrieval, undefined, 'retrieval is not sent upstream');
    assert.match(upstream.messages[0].content, /<source id="1" title="Tides of Velmar">/);
  });

  it('works with the official openai client, streaming: the text is whole and the extension fields are there to read', async () => {
    harness.fake.setScenario({ text: 'The tide rises six metres [1], and cod is sold at dawn [3].' });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: question }],
      stream: true,
      retrieval,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    let sources: { id: string }[] | undefined;
    let citations: number[] | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      const extension = chunk as typeof chunk & { sluice_sources?: { id: string }[]; sluice_citations?: number[] };
      sources ??= extension.sluice_sources;
      citations ??= extension.sluice_citations;
    }
    assert.equal(text, 'The tide rises six metres [1], and cod is sold at dawn [3].');
    assert.equal(sources?.length, 3);
    assert.deepEqual(citations, [1, 3]);
    assert.equal(sources![0]!.id, 'tides');
  });

  it('works with the official client stream helper, which accumulates the chunks', async () => {
    harness.fake.setScenario({ text: 'Six metres [1].' });
    const runner = client.chat.completions.stream({ model: 'gpt-test', messages: [{ role: 'user', content: question }], retrieval } as never);
    const completion = await runner.finalChatCompletion();
    assert.equal(completion.choices[0]!.message.content, 'Six metres [1].');
    assert.equal(completion.choices[0]!.finish_reason, 'stop');
  });

  it('answers without streaming with sluice_sources and sluice_citations beside the choices', async () => {
    harness.fake.setScenario({ text: 'Whale oil in winter [2].' });
    const completion = (await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'What does the Velmar lighthouse burn?' }],
      retrieval,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming)) as OpenAI.ChatCompletion & { sluice_sources: { id: string }[]; sluice_citations: number[] };
    assert.equal(completion.choices[0]!.message.content, 'Whale oil in winter [2].');
    assert.equal(completion.sluice_sources[0]!.id, 'lamps');
    assert.deepEqual(completion.sluice_citations, [2]);
  });

  it('adds nothing to a request without retrieval', async () => {
    harness.fake.setScenario({ text: 'Plain.' });
    const completion = (await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: question }] })) as unknown as Record<
      string,
      unknown
    >;
    assert.equal(completion.sluice_sources, undefined);
    assert.equal(completion.sluice_citations, undefined);
    assert.equal(harness.fake.requests.at(-1)!.body.messages[0].content, question);
  });

  it('refuses a missing collection with a 404 the client raises as NotFoundError', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: question }],
        stream: true,
        retrieval: { collection: 'nowhere' },
      } as OpenAI.ChatCompletionCreateParamsStreaming),
      (error: unknown) => error instanceof OpenAI.NotFoundError && /Collection "nowhere" does not exist/.test(error.message),
    );
  });
});
