/** The official `openai` client, unchanged but for its base URL, pointed at Sluice. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { startHarness, type Harness } from '../support/sluice-harness.ts';

let harness: Harness;
let client: OpenAI;
before(async () => {
  harness = await startHarness();
  client = new OpenAI({ apiKey: 'client-key', baseURL: `${harness.sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
});
after(() => harness.close());

test('streams with stream_options.include_usage: text, finish reason and usage', async () => {
  harness.fake.setScenario({ text: 'Streaming 그대로 ✨ through Sluice', usage: { prompt_tokens: 12, completion_tokens: 5 } });
  const stream = await client.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finishReason: string | null | undefined;
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'Streaming 그대로 ✨ through Sluice');
  assert.equal(finishReason, 'stop');
  assert.deepEqual(usage, { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
});

test('without include_usage no usage chunk is sent', async () => {
  harness.fake.setScenario({ text: 'a b' });
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const chunk of stream) assert.equal(chunk.usage ?? undefined, undefined);
});

test('tool calls stream through as tool_calls deltas the SDK accumulates', async () => {
  harness.fake.setScenario({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"서울","unit":"c"}' }] });
  const runner = client.chat.completions.stream({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  });
  const completion = await runner.finalChatCompletion();
  const call = completion.choices[0]?.message.tool_calls?.[0];
  assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
  assert.equal(call?.type === 'function' ? call.function.name : undefined, 'get_weather');
  assert.deepEqual(JSON.parse(call?.type === 'function' ? call.function.arguments : '{}'), { city: '서울', unit: 'c' });
});

test('non-streaming create returns the whole completion', async () => {
  harness.fake.setScenario({ text: 'Whole answer.', usage: { prompt_tokens: 2, completion_tokens: 2 } });
  const completion = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(completion.choices[0]?.message.content, 'Whole answer.');
  assert.equal(completion.usage?.total_tokens, 4);
});

test('an upstream 429 reaches the SDK as a RateLimitError with retry-after', async () => {
  harness.fake.setScenario({ status: 429, responseHeaders: { 'retry-after': '3' } });
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    (error: unknown) => error instanceof OpenAI.RateLimitError && error.headers.get('retry-after') === '3',
  );
});

test('a mid-stream upstream failure makes the SDK throw, never end quietly', async () => {
  harness.fake.setScenario({ text: 'a b c d e', fault: { afterTokens: 2, kind: 'cut' } });
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })(),
    (error: unknown) => error instanceof APIError && /broke mid-stream/.test(error.message),
  );
  assert.equal(text, 'a b ');
});
