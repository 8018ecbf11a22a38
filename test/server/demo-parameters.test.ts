/**
 * The demo model honours what a request asks of a model: `max_tokens` in every dialect, JSON for
 * `response_format`, tool calls for `tools`, an answer from tool results; and it refuses malformed
 * parameters with a 400 naming the field, as an upstream would.
 */

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { splitIntoTokens } from '../../packages/server/src/providers/demo/split-into-tokens.ts';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { requestJson } from '../rag/rag-support.ts';
import { dialectReaders, openaiResponsesReader, sluiceReader, type DialectReader } from '../support/dialect-readers.ts';
import { activeTimers, eventually, type LogRecord } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';

const prompt = 'What does Sluice do with max_tokens?';
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'unit'] },
  },
};
const searchTool = { type: 'function', function: { name: 'search_docs', description: 'Search the handbook', parameters: { type: 'object', properties: { query: { type: 'string' } } } } };

let sluice: SluiceInstance;
before(async () => {
  sluice = await startSluice({ port: 0, host: '127.0.0.1', logLevel: 'silent', demoTokensPerSecond: 4000, demoFirstTokenDelayMs: 0 });
});
after(() => sluice.close());

async function ask(reader: DialectReader, extra: Record<string, unknown>, text = prompt) {
  const stream = await readStream(`${sluice.url}${reader.path}`, { body: { ...reader.body(text), ...extra } });
  assert.equal(stream.status, 200, stream.raw());
  return { stream, summary: reader.summarize(stream.messages, stream) };
}

async function fullAnswer(text = prompt): Promise<string> {
  return (await ask(sluiceReader, {}, text)).summary.text;
}

describe('max_tokens', () => {
  for (const reader of dialectReaders) {
    test(`${reader.name}: the answer stops after exactly max_tokens of the demo's tokens, finish length, usage to match`, async () => {
      const expected = splitIntoTokens(await fullAnswer()).slice(0, 7).join('');
      const limit = reader === openaiResponsesReader ? { max_output_tokens: 7 } : { max_tokens: 7 };
      const { stream, summary } = await ask(reader, limit);
      assert.equal(summary.ending, 'done');
      assert.equal(summary.text, expected);
      if (reader.carries.finishReason) assert.equal(summary.finishReason, 'length');
      if (reader.carries.usage) assert.equal(summary.usage?.completion_tokens, 7);
      // Each dialect's own word for it, not only the reader's translation.
      if (reader.path === '/v1/messages') assert.match(stream.raw(), /"stop_reason":"max_tokens"/);
      if (reader === openaiResponsesReader) assert.match(stream.raw(), /event: response\.incomplete\n.*"incomplete_details":\{"reason":"max_output_tokens"\}/);
      if (reader.path === '/v1/chat/completions') assert.match(stream.raw(), /"finish_reason":"length"/);
    });
  }

  test('a limit the answer fits in ends with stop, and usage counts every token sent', async () => {
    const text = await fullAnswer();
    const { summary } = await ask(sluiceReader, { max_tokens: 5000 });
    assert.equal(summary.text, text);
    assert.equal(summary.finishReason, 'stop');
    assert.equal(summary.usage?.completion_tokens, splitIntoTokens(text).length);
  });

  test('the non-streaming OpenAI response is cut the same way', async () => {
    const answer = await requestJson(sluice.url, 'POST', '/v1/chat/completions', { model: 'gpt-4o', max_tokens: 3, messages: [{ role: 'user', content: prompt }] });
    const body = answer.body as { choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    assert.equal(body.choices[0]?.finish_reason, 'length');
    assert.equal(body.choices[0]?.message.content, splitIntoTokens(await fullAnswer()).slice(0, 3).join(''));
    assert.equal(body.usage.completion_tokens, 3);
  });
});

describe('response_format', () => {
  const schema = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      year: { type: 'integer', minimum: 1900, maximum: 2100 },
      genres: { type: 'array', items: { type: 'string', enum: ['drama', 'comedy'] }, minItems: 1 },
      rating: { type: 'number', minimum: 0, maximum: 10 },
      released: { type: 'boolean' },
    },
    required: ['title', 'year', 'genres'],
    additionalProperties: false,
  };

  test('json_schema: JSON that validates, streamed token by token, with object events growing to the whole value', async () => {
    const { stream, summary } = await ask(sluiceReader, { response_format: { type: 'json_schema', json_schema: { name: 'movie', schema } } }, 'A movie, please');
    const value = JSON.parse(summary.text);
    const parsed = z.fromJSONSchema(schema as never).safeParse(value);
    assert.ok(parsed.success, `${summary.text}: ${JSON.stringify(parsed.error?.issues)}`);
    const objects = stream.messages.filter((message) => message.event === 'object').map((message) => JSON.parse(message.data).object);
    assert.ok(objects.length > 5, `${objects.length} object events`);
    assert.deepEqual(objects.at(-1), value);
    assert.equal(summary.usage?.completion_tokens, splitIntoTokens(summary.text).length);
    const again = await ask(sluiceReader, { response_format: { type: 'json_schema', json_schema: { name: 'movie', schema } } }, 'A movie, please');
    assert.equal(again.summary.text, summary.text, 'the same request, the same JSON');
  });

  test('json_object: a JSON object that says the demo model wrote it', async () => {
    const { summary } = await ask(sluiceReader, { response_format: { type: 'json_object' } });
    assert.deepEqual(Object.keys(JSON.parse(summary.text)), ['model', 'demo', 'question', 'answer']);
    assert.equal(JSON.parse(summary.text).model, 'sluice-demo');
  });

  test('Anthropic output_config.format and Responses text.format reach the demo as the same schema', async () => {
    const anthropic = await ask(dialectReaders.find((reader) => reader.path === '/v1/messages')!, { output_config: { format: { type: 'json_schema', schema } } });
    const responses = await ask(openaiResponsesReader, { text: { format: { type: 'json_schema', name: 'movie', schema } } });
    for (const { summary } of [anthropic, responses]) assert.ok(z.fromJSONSchema(schema as never).safeParse(JSON.parse(summary.text)).success, summary.text);
  });

  test('max_tokens cuts JSON too, and says length', async () => {
    const { summary } = await ask(sluiceReader, { max_tokens: 4, response_format: { type: 'json_object' } });
    assert.equal(summary.finishReason, 'length');
    assert.throws(() => JSON.parse(summary.text), SyntaxError);
  });
});

describe('tools', () => {
  test('a call of the tool the prompt is about, its arguments streamed as deltas that fit its schema, finish tool_calls', async () => {
    const { stream, summary } = await ask(sluiceReader, { tools: [searchTool, weatherTool] }, 'What is the weather in Oslo?');
    assert.equal(summary.finishReason, 'tool_calls');
    assert.equal(summary.text, '');
    assert.equal(summary.toolCalls.length, 1);
    const [call] = summary.toolCalls;
    assert.equal(call?.name, 'get_weather');
    assert.match(call?.id ?? '', /^call_demo_[0-9a-f]{8}$/);
    assert.deepEqual(JSON.parse(call!.arguments), { city: 'Oslo', unit: 'celsius' });
    assert.ok(stream.messages.filter((message) => message.event === 'tool_call').length > 1, 'the arguments arrive in pieces');
    assert.equal(summary.usage?.completion_tokens, splitIntoTokens(call!.arguments).length);
  });

  test('tool_choice: a named tool is called whatever the prompt; none answers in text', async () => {
    const forced = await ask(sluiceReader, { tools: [searchTool, weatherTool], tool_choice: { type: 'function', function: { name: 'search_docs' } } }, 'What is the weather in Oslo?');
    assert.equal(forced.summary.toolCalls[0]?.name, 'search_docs');
    assert.deepEqual(JSON.parse(forced.summary.toolCalls[0]!.arguments), { query: 'Oslo' });
    const none = await ask(sluiceReader, { tools: [weatherTool], tool_choice: 'none' }, 'What is the weather in Oslo?');
    assert.equal(none.summary.toolCalls.length, 0);
    assert.equal(none.summary.finishReason, 'stop');
    assert.match(none.summary.text, /sluice-demo/);
  });

  test('a conversation that ends with a tool result gets a text answer that uses it', async () => {
    const messages = [
      { role: 'user', content: 'What is the weather in Quito?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_7', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Quito","unit":"celsius"}' } }] },
      { role: 'tool', tool_call_id: 'call_7', content: '{"celsius":14,"sky":"overcast"}' },
    ];
    const stream = await readStream(`${sluice.url}/v1/chat/stream`, { body: { messages, tools: [weatherTool] } });
    const summary = sluiceReader.summarize(stream.messages);
    assert.equal(summary.finishReason, 'stop');
    assert.equal(summary.toolCalls.length, 0);
    assert.match(summary.text, /`get_weather` returned:\n\n- celsius: 14\n- sky: overcast/);
    assert.match(summary.text, /“What is the weather in Quito\?”/);
  });
});

describe('malformed parameters are a 400 naming the field, before anything streams', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['max_tokens', { max_tokens: 'ten' }, 'max_tokens', /expected a positive integer, got "ten"/],
    ['max_completion_tokens', { max_completion_tokens: 0 }, 'max_completion_tokens', /expected a positive integer, got 0/],
    ['response_format', { response_format: { type: 'xml' } }, 'response_format.type', /expected "text", "json_object" or "json_schema", got "xml"/],
    ['json_schema', { response_format: { type: 'json_schema' } }, 'response_format.json_schema', /expected an object/],
    ['tools', { tools: { name: 'x' } }, 'tools', /expected an array of tools/],
    ['a tool', { tools: [{ type: 'function', function: { description: 'no name' } }] }, 'tools[0].function.name', /expected a non-empty string, got nothing/],
    ['tool_choice', { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'launch' } } }, 'tool_choice.function.name', /no function tool named "launch"/],
    ['tool_choice required', { tool_choice: 'required' }, 'tool_choice', /needs at least one function tool/],
  ];
  for (const [name, extra, param, message] of cases) {
    test(name, async () => {
      const answer = await requestJson(sluice.url, 'POST', '/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }], ...extra });
      assert.equal(answer.status, 400);
      assert.equal(answer.error?.param, param);
      assert.match(answer.error?.message ?? '', message);
    });
  }
});

test('a client that leaves stops the demo at once, logged as cancelled, and leaves no timer behind', async () => {
  const logs: LogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const slow = await startSluice({ port: 0, host: '127.0.0.1', logLevel: 'info', demoTokensPerSecond: 5, demoFirstTokenDelayMs: 0 }, { logDestination: destination });
  try {
    const timersBefore = activeTimers();
    const stream = await openStream(`${slow.url}/v1/chat/stream`, { body: { prompt, tools: [weatherTool] } });
    await eventually(() => stream.messages.some((message) => message.event === 'tool_call'), 'the first tool call delta');
    stream.destroy();
    await eventually(() => activeTimers() <= timersBefore, 'the demo’s timers to end', 1000);
    slow.logger.flush();
    await eventually(() => logs.some((record) => record.msg === 'stream ended'), 'the stream’s log line', 1000);
    const ended = logs.find((record) => record.msg === 'stream ended')!;
    assert.equal(ended.outcome, 'cancelled');
    assert.equal(ended.reason, 'client_closed');
    assert.ok((ended.duration_ms as number) < 1000, `${ended.duration_ms} ms`);
  } finally {
    await slow.close();
  }
});
