/**
 * The demo model through the official clients, with no key anywhere: the `openai` SDK (Chat Completions
 * and Responses), `@anthropic-ai/sdk`, and the AI SDK's `streamText` running a whole tool loop and
 * structured output. Each sees a tool call it can run, an answer from the result, JSON that fits its
 * schema and a length cut in its own vocabulary.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { jsonSchema, Output, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';

const cityParameters = { type: 'object' as const, properties: { city: { type: 'string' as const } }, required: ['city'], additionalProperties: false };
const movieSchema = {
  type: 'object',
  properties: { title: { type: 'string' }, year: { type: 'integer', minimum: 1900 }, genres: { type: 'array', items: { type: 'string', enum: ['drama', 'comedy'] } } },
  required: ['title', 'year', 'genres'],
  additionalProperties: false,
};

let sluice: SluiceInstance;
before(async () => {
  sluice = await startSluice({ port: 0, host: '127.0.0.1', logLevel: 'silent', demoTokensPerSecond: 4000, demoFirstTokenDelayMs: 0 });
  assert.equal(sluice.demoMode, true);
});
after(() => sluice.close());

describe('the openai client', () => {
  let client: OpenAI;
  before(() => {
    client = new OpenAI({ apiKey: 'no-key-needed', baseURL: `${sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
  });

  test('chat completions: a streamed tool call the SDK accumulates, then an answer from its result', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: cityParameters } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo?' }];
    const completion = await client.chat.completions.stream({ model: 'gpt-4o', messages, tools, stream_options: { include_usage: true } }).finalChatCompletion();
    const choice = completion.choices[0]!;
    assert.equal(completion.model, 'sluice-demo');
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Oslo' });
    assert.ok((completion.usage?.completion_tokens ?? 0) > 0);

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ celsius: -3, sky: 'snow' }) });
    const answer = await client.chat.completions.create({ model: 'gpt-4o', messages, tools });
    assert.equal(answer.choices[0]?.finish_reason, 'stop');
    assert.match(answer.choices[0]?.message.content ?? '', /`get_weather` returned:\n\n- celsius: -3\n- sky: snow/);
  });

  test('chat completions: json_schema gives JSON that fits, and max_tokens is finish_reason length', async () => {
    const structured = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'A movie' }],
      response_format: { type: 'json_schema', json_schema: { name: 'movie', schema: movieSchema, strict: true } },
    });
    const movie = JSON.parse(structured.choices[0]?.message.content ?? '');
    assert.deepEqual(Object.keys(movie), ['title', 'year', 'genres']);
    assert.ok(Number.isInteger(movie.year) && movie.year >= 1900);
    const cut = await client.chat.completions.create({ model: 'gpt-4o', max_completion_tokens: 4, messages: [{ role: 'user', content: 'Tell me everything' }] });
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    assert.equal(cut.usage?.completion_tokens, 4);
  });

  test('responses: a function call through the strict accumulator, its output sent back, and a length cut as incomplete', async () => {
    const tools = [{ type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: cityParameters, strict: true }];
    const response = await client.responses.stream({ model: 'gpt-4o', input: 'Weather in Lima?', tools }).finalResponse();
    const call = response.output.find((item) => item.type === 'function_call');
    assert.ok(call?.type === 'function_call');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Lima' });
    const answer = await client.responses.create({
      model: 'gpt-4o',
      tools,
      input: [{ role: 'user', content: 'Weather in Lima?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '19°C, sunny' }],
    });
    assert.match(answer.output_text, /`get_weather` returned:\n\n> 19°C, sunny/);
    const cut = await client.responses.create({ model: 'gpt-4o', input: 'Tell me everything', max_output_tokens: 16 });
    assert.equal(cut.status, 'incomplete');
    assert.equal(cut.incomplete_details?.reason, 'max_output_tokens');
  });
});

describe('the anthropic client', () => {
  let client: Anthropic;
  before(() => {
    client = new Anthropic({ apiKey: 'no-key-needed', baseURL: sluice.url, maxRetries: 0, logLevel: 'off' });
  });

  test('messages.stream: tool_use with input that fits, tool_choice honoured, then a text answer from the tool_result', async () => {
    const tools = [
      { name: 'search_docs', description: 'Search the handbook', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] } },
      { name: 'get_weather', description: 'Weather for a city', input_schema: cityParameters },
    ];
    const question = 'How warm is it in Seoul?';
    const message = await client.messages.stream({ model: 'claude-test', max_tokens: 512, tools, tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: question }] }).finalMessage();
    assert.equal(message.stop_reason, 'tool_use');
    const toolUse = message.content.find((block) => block.type === 'tool_use');
    assert.ok(toolUse?.type === 'tool_use');
    assert.deepEqual([toolUse.name, toolUse.input], ['get_weather', { city: 'Seoul' }]);

    const answer = await client.messages.create({
      model: 'claude-test',
      max_tokens: 512,
      tools,
      messages: [
        { role: 'user', content: question },
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '21°C, clear' }] },
      ],
    });
    assert.equal(answer.stop_reason, 'end_turn');
    const text = answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    assert.match(text, /`get_weather` returned:\n\n> 21°C, clear/);
  });

  test('max_tokens is stop_reason max_tokens, with output_tokens equal to it', async () => {
    const message = await client.messages.create({ model: 'claude-test', max_tokens: 6, messages: [{ role: 'user', content: 'Tell me everything' }] });
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 6);
  });
});

describe('the AI SDK', () => {
  // supportsStructuredOutputs: without it the SDK sends json_object and leaves the schema out of the request.
  const model = () => createOpenAICompatible({ name: 'sluice', baseURL: `${sluice.url}/v1`, apiKey: 'no-key-needed', includeUsage: true, supportsStructuredOutputs: true })('gpt-4o');

  test('streamText runs the whole tool loop: the demo calls the tool, the SDK executes it, the demo answers from its output', async () => {
    const cities: string[] = [];
    const getWeather = tool({
      description: 'Current weather for a city',
      inputSchema: jsonSchema<{ city: string }>(cityParameters),
      execute: async ({ city }) => {
        cities.push(city);
        return { city, celsius: 14 };
      },
    });
    const result = streamText({ model: model(), prompt: 'What is the weather in Quito?', tools: { getWeather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.deepEqual(cities, ['Quito']);
    const steps = await result.steps;
    assert.deepEqual(
      steps.map((step) => step.finishReason),
      ['tool-calls', 'stop'],
    );
    assert.match(text, /`getWeather` returned:\n\n- city: Quito\n- celsius: 14/);
  });

  test('structured output: the partial objects stream, and the final object passes the SDK’s own schema check', async () => {
    // A zod schema: the SDK sends it as JSON Schema and checks the answer against it.
    const movie = z.object({ title: z.string(), year: z.number().int().min(1900), genres: z.array(z.enum(['drama', 'comedy'])).min(1) });
    const result = streamText({ model: model(), prompt: 'A movie', output: Output.object({ schema: movie }), maxRetries: 0 });
    let partials = 0;
    for await (const _partial of result.partialOutputStream) partials += 1;
    assert.ok(partials > 3, `${partials} partial objects`);
    assert.deepEqual(await result.output, { title: 'demo title', year: 1900, genres: ['drama', 'drama'] });
  });

  test('maxOutputTokens ends the stream with finish reason length', async () => {
    const result = streamText({ model: model(), prompt: 'Tell me everything', maxOutputTokens: 5, maxRetries: 0 });
    await result.consumeStream();
    assert.equal(await result.finishReason, 'length');
    assert.equal((await result.usage).outputTokens, 5);
  });
});
