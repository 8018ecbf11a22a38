import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, beforeEach, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeProvider, type FakeProvider } from './support/fake-provider/index.ts';

let fake: FakeProvider;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  fake = await startFakeProvider();
  openai = new OpenAI({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0, logLevel: 'off' });
  // The Anthropic SDK appends /v1 itself.
  anthropic = new Anthropic({ apiKey: 'test-key', baseURL: fake.url.replace(/\/v1$/, ''), maxRetries: 0, logLevel: 'off' });
});

beforeEach(() => fake.setScenario({}));

after(() => fake.close());

/** Reads a raw response as text, to see the exact wire bytes. */
function postRaw(path: string, body: unknown): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

async function collectChatText(scenario: Parameters<FakeProvider['setScenario']>[0], includeUsage = false) {
  fake.setScenario(scenario);
  const stream = await openai.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  let text = '';
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, chunks };
}

test('chat completions: the openai SDK reads the stream, usage only when asked', async () => {
  const withoutUsage = await collectChatText({ text: 'Hello there, 안녕하세요 👋 world' });
  assert.equal(withoutUsage.text, 'Hello there, 안녕하세요 👋 world');
  assert.ok(withoutUsage.chunks.every((chunk) => !('usage' in chunk)));
  assert.equal(withoutUsage.chunks.at(-1)?.choices[0]?.finish_reason, 'stop');

  const withUsage = await collectChatText({ text: 'One two three', usage: { prompt_tokens: 5, completion_tokens: 3 } }, true);
  assert.equal(withUsage.text, 'One two three');
  const last = withUsage.chunks.at(-1);
  assert.deepEqual(last?.choices, []);
  assert.equal(last?.usage?.total_tokens, 8);
  assert.ok(withUsage.chunks.slice(0, -1).every((chunk) => chunk.usage === null));
});

test('chat completions: tool calls stream as fragments and reassemble', async () => {
  fake.setScenario({ text: '', tokens: [], toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] });
  const runner = openai.chat.completions.stream({ model: 'gpt-test', messages: [{ role: 'user', content: 'Weather?' }] });
  const completion = await runner.finalChatCompletion();
  const call = completion.choices[0]?.message.tool_calls?.[0];
  assert.equal(call?.type, 'function');
  assert.equal(call?.type === 'function' ? call.function.arguments : undefined, '{"city":"Paris","unit":"celsius"}');
  assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
});

test('chat completions: non-streaming answer, error statuses and 404', async () => {
  fake.setScenario({ text: 'Plain answer.' });
  const completion = await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }] });
  assert.equal(completion.choices[0]?.message.content, 'Plain answer.');
  assert.equal(completion.object, 'chat.completion');

  fake.setScenario({ status: 429, responseHeaders: { 'retry-after': '7' } });
  const limited = await postRaw('/chat/completions', { model: 'm', messages: [], stream: true });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '7');
  assert.equal(JSON.parse(limited.text).error.code, 'rate_limit_exceeded');

  const missing = await postRaw('/nothing', {});
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.text).error.type, 'invalid_request_error');
});

test('chat completions: tokensPerEvent and byte splitting keep the text', async () => {
  const text = '한국어 텍스트와 이모지 🎉🚀 mixed with ASCII words';
  for (const scenario of [{ text, tokensPerEvent: 3 }, { text, byteSplit: 'every-byte' as const }, { text, byteSplit: 5 }]) {
    const result = await collectChatText(scenario, true);
    assert.equal(result.text, text);
  }
  const record = fake.requests.at(-1);
  assert.equal(record?.tokensSent, 8);
  assert.equal(record?.completed, true);
});

test('chat completions: faults', async () => {
  await assert.rejects(collectChatText({ fault: { afterTokens: 2, kind: 'error-event' } }), (error: Error) => error instanceof OpenAI.APIError);

  await assert.rejects(collectChatText({ fault: { afterTokens: 1, kind: 'garbage' } }), SyntaxError);

  fake.setScenario({ fault: { afterTokens: 2, kind: 'cut' } });
  await assert.rejects(postRaw('/chat/completions', { stream: true }));
  assert.equal(fake.requests.at(-1)?.tokensSent, 2);
  assert.equal(fake.requests.at(-1)?.completed, false);
});

test('responses: the openai SDK reads raw events and the accumulating stream', async () => {
  fake.setScenario({
    text: 'Bonjour 世界 🌍!',
    toolCalls: [{ id: 'call_7', name: 'lookup', arguments: '{"query":"weather in Paris"}' }],
    usage: { prompt_tokens: 4, completion_tokens: 9 },
  });
  const events = await openai.responses.create({ model: 'gpt-test', input: 'Hi', stream: true });
  let text = '';
  const types: string[] = [];
  const sequenceNumbers: number[] = [];
  for await (const event of events) {
    types.push(event.type);
    sequenceNumbers.push(event.sequence_number);
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  assert.equal(text, 'Bonjour 世界 🌍!');
  assert.deepEqual(sequenceNumbers, types.map((_, index) => index));
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');

  const stream = openai.responses.stream({ model: 'gpt-test', input: 'Hi' });
  const response = await stream.finalResponse();
  assert.equal(response.output_text, 'Bonjour 世界 🌍!');
  const call = response.output.find((item) => item.type === 'function_call');
  assert.equal(call?.type === 'function_call' ? call.arguments : undefined, '{"query":"weather in Paris"}');
  assert.equal(response.usage?.total_tokens, 13);
});

test('responses: non-streaming, incomplete and in-stream error', async () => {
  fake.setScenario({ text: 'Plain answer.' });
  const response = await openai.responses.create({ model: 'gpt-test', input: 'Hi' });
  assert.equal(response.output_text, 'Plain answer.');

  fake.setScenario({ text: 'Cut short', finishReason: 'length' });
  const incomplete = await openai.responses.stream({ model: 'gpt-test', input: 'Hi' }).finalResponse();
  assert.equal(incomplete.status, 'incomplete');
  assert.equal(incomplete.incomplete_details?.reason, 'max_output_tokens');

  fake.setScenario({ fault: { afterTokens: 1, kind: 'error-event' } });
  const events = await openai.responses.create({ model: 'gpt-test', input: 'Hi', stream: true });
  await assert.rejects(async () => {
    for await (const _ of events);
  }, OpenAI.APIError);
});

test('embeddings: deterministic, normalized, closer for shared words, float and base64', async () => {
  const texts = ['The cat sat on the mat', 'A cat on a mat', 'Quarterly revenue grew 4%'];
  const first = await openai.embeddings.create({ model: 'embed-test', input: texts });
  const again = await openai.embeddings.create({ model: 'embed-test', input: texts, encoding_format: 'float' });
  const vectors = first.data.map((item) => item.embedding);
  assert.deepEqual(
    vectors.map((vector) => vector.map((value) => Math.fround(value))),
    again.data.map((item) => item.embedding.map((value) => Math.fround(value))),
  );
  const dot = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);
  assert.ok(Math.abs(dot(vectors[0]!, vectors[0]!) - 1) < 1e-5);
  assert.ok(dot(vectors[0]!, vectors[1]!) > dot(vectors[0]!, vectors[2]!));
  assert.equal(vectors[0]!.length, 256);
  const small = await openai.embeddings.create({ model: 'embed-test', input: 'one', dimensions: 8 });
  assert.equal(small.data[0]!.embedding.length, 8);
});

test('anthropic messages: the SDK message stream reads thinking, text and tool use', async () => {
  fake.setScenario({
    reasoning: 'Let me think about Paris.',
    text: 'Checking the weather 🌦 now.',
    toolCalls: [{ id: 'toolu_01', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    usage: { prompt_tokens: 11, completion_tokens: 22 },
  });
  const stream = anthropic.messages.stream({ model: 'claude-test', max_tokens: 100, messages: [{ role: 'user', content: 'Weather?' }] });
  let text = '';
  stream.on('text', (delta) => {
    text += delta;
  });
  const message = await stream.finalMessage();
  assert.equal(text, 'Checking the weather 🌦 now.');
  assert.deepEqual(
    message.content.map((block) => block.type),
    ['thinking', 'text', 'tool_use'],
  );
  const [thinking, , toolUse] = message.content;
  assert.equal(thinking?.type === 'thinking' ? thinking.thinking : undefined, 'Let me think about Paris.');
  assert.deepEqual(toolUse?.type === 'tool_use' ? toolUse.input : undefined, { city: 'Paris' });
  assert.equal(message.stop_reason, 'tool_use');
  assert.deepEqual([message.usage.input_tokens, message.usage.output_tokens], [11, 22]);
});

test('anthropic messages: non-streaming, error status and in-stream error', async () => {
  fake.setScenario({ text: 'Plain answer.' });
  const message = await anthropic.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
  assert.deepEqual(message.content, [{ type: 'text', text: 'Plain answer.' }]);
  assert.equal(message.stop_reason, 'end_turn');

  fake.setScenario({ status: 529 });
  await assert.rejects(
    anthropic.messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    (error: InstanceType<typeof Anthropic.APIError>) => error.status === 529 && (error.error as any)?.error?.type === 'overloaded_error',
  );

  fake.setScenario({ fault: { afterTokens: 2, kind: 'error-event' } });
  const stream = anthropic.messages.stream({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
  await assert.rejects(stream.finalMessage(), /overloaded_error/);
});

test('transcripts replay verbatim and parse with the SDKs, even split at every byte', async () => {
  const basic = await collectChatText({ transcript: 'openai-chat-basic' });
  assert.equal(basic.text, 'Hello! How can I help you today?');
  const usage = await collectChatText({ transcript: 'openai-chat-usage', byteSplit: 'every-byte' }, true);
  assert.equal(usage.text, 'The answer is 42.');
  assert.equal(usage.chunks.at(-1)?.usage?.total_tokens, 24);

  fake.setScenario({ transcript: 'openai-chat-tool-call' });
  const toolCompletion = await openai.chat.completions.stream({ model: 'gpt-test', messages: [{ role: 'user', content: 'Weather?' }] }).finalChatCompletion();
  const call = toolCompletion.choices[0]?.message.tool_calls?.[0];
  assert.equal(call?.type === 'function' ? call.function.arguments : undefined, '{"location":"Paris, France"}');

  fake.setScenario({ transcript: 'openai-responses-basic', byteSplit: 7 });
  const response = await openai.responses.stream({ model: 'gpt-test', input: 'Hi' }).finalResponse();
  assert.equal(response.output_text, 'Hi there! How can I assist you today?');

  const params = { model: 'claude-test', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi' }] };
  fake.setScenario({ transcript: 'anthropic-basic' });
  assert.deepEqual((await anthropic.messages.stream(params).finalMessage()).content, [{ type: 'text', text: 'Hello!' }]);
  fake.setScenario({ transcript: 'anthropic-tool-use', byteSplit: 'every-byte' });
  const toolMessage = await anthropic.messages.stream(params).finalMessage();
  const toolUse = toolMessage.content[1];
  assert.deepEqual(toolUse?.type === 'tool_use' ? toolUse.input : undefined, { location: 'San Francisco, CA', unit: 'fahrenheit' });
  fake.setScenario({ transcript: 'anthropic-thinking' });
  const thinkingMessage = await anthropic.messages.stream(params).finalMessage();
  assert.deepEqual(
    thinkingMessage.content.map((block) => block.type),
    ['thinking', 'text'],
  );
});

test('flavours: OpenAI-compatible quirks still parse with the openai SDK', async () => {
  const toolCalls = [{ id: 'call_9', name: 'search', arguments: '{"q":"streaming"}' }];
  for (const flavour of ['openai', 'vllm', 'ollama', 'llamacpp'] as const) {
    const result = await collectChatText({ flavour, text: 'Several tokens at once', tokensPerEvent: 2, reasoning: 'Think first.', toolCalls }, true);
    assert.equal(result.text, 'Several tokens at once', flavour);
    assert.equal(result.chunks.at(-1)?.usage?.completion_tokens, fake.requests.at(-1)?.tokensSent, flavour);
    const raw = result.chunks.map((chunk) => chunk as unknown as Record<string, any>);
    const withFinish = raw.filter((chunk) => chunk.choices[0]?.finish_reason);
    assert.equal(withFinish.length, 1, flavour);
    assert.equal(withFinish[0]?.choices[0].finish_reason, 'tool_calls', flavour);
    const reasoning = raw.map((chunk) => chunk.choices[0]?.delta.reasoning_content ?? chunk.choices[0]?.delta.reasoning ?? '').join('');
    assert.equal(reasoning, flavour === 'openai' ? '' : 'Think first.', flavour);
    const toolDeltas = raw.filter((chunk) => chunk.choices[0]?.delta.tool_calls);
    assert.equal(toolDeltas.length, flavour === 'ollama' ? 1 : 4, flavour);
    if (flavour === 'vllm') assert.ok(withFinish[0]?.choices[0].delta.tool_calls, 'vLLM finishes on the last content delta');
    if (flavour === 'ollama') assert.equal(raw[0]?.system_fingerprint, 'fp_ollama');
    if (flavour === 'llamacpp') assert.ok(raw.every((chunk) => chunk.timings));
  }
});

test('timing knobs, hang and waitForRequest', async () => {
  const nextRequest = fake.waitForRequest();
  const finished = collectChatText({ tokens: ['a ', 'b ', 'c ', 'd'], headersDelayMs: 40, firstTokenDelayMs: 40, tokenIntervalMs: 20 });
  const record = await nextRequest;
  assert.equal(record.path, '/v1/chat/completions');
  assert.equal(record.body.model, 'gpt-test');
  assert.equal((await finished).text, 'a b c d');
  assert.ok(record.lastTokenAt! - record.receivedAt >= 40 + 40 + 3 * 20 - 5, `took ${record.lastTokenAt! - record.receivedAt} ms`);
  assert.equal(await fake.waitForRequest(fake.requests.indexOf(record)), record);

  fake.setScenario({ fault: { afterTokens: 2, kind: 'hang' } });
  const controller = new AbortController();
  const stream = await openai.chat.completions.create(
    { model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }], stream: true },
    { signal: controller.signal },
  );
  const hung = fake.requests.at(-1)!;
  const reading = (async () => {
    for await (const _ of stream);
  })();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(hung.tokensSent, 2);
  controller.abort();
  await reading;
  await hung.socketClosed;
  assert.equal(hung.completed, false);
});

test('socketClosed resolves promptly when the client aborts an infinite stream', async () => {
  fake.setScenario({ infinite: true, tokenIntervalMs: 2 });
  const controller = new AbortController();
  const stream = await openai.chat.completions.create(
    { model: 'gpt-test', messages: [{ role: 'user', content: 'Go on forever' }], stream: true },
    { signal: controller.signal },
  );
  const record = fake.requests.at(-1)!;
  let received = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content) received += 1;
    if (received === 20) break;
  }
  const abortedAt = performance.now();
  const closedAt = await record.socketClosed;
  assert.ok(closedAt - abortedAt < 100, `socket closed ${closedAt - abortedAt} ms after the abort`);
  const tokensAtClose = record.tokensSent;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(record.tokensSent, tokensAtClose);
  assert.equal(record.completed, false);
});

test('infinite respects backpressure: a client that does not read stops the writes', async () => {
  const own = await startFakeProvider({ defaultScenario: { infinite: true, tokens: ['x'.repeat(4096)] } });
  try {
    const request = httpRequest(`${own.url}/chat/completions`, { method: 'POST', agent: false });
    request.end(JSON.stringify({ stream: true }));
    // Never reading the body: the client socket pauses once its buffers are full.
    const response = await new Promise<IncomingMessage>((resolve) => request.on('response', resolve));
    const record = own.requests[0]!;
    let previous = -1;
    while (record.tokensSent !== previous) {
      previous = record.tokensSent;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(record.tokensSent > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(record.tokensSent, previous, 'the fake kept writing to a client that does not read');
    assert.equal(own.openConnections(), 1);

    response.destroy();
    await record.socketClosed;
    assert.equal(own.openConnections(), 0);
  } finally {
    await own.close();
  }
});
