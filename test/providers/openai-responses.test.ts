import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ChatRequest, SluiceError } from '@sluice/protocol';
import { toResponsesBody } from '../../packages/server/src/providers/openai-responses/convert-request.ts';
import { readResponsesStream } from '../../packages/server/src/providers/openai-responses/openai-responses-provider.ts';
import { byteSplits, fixtureBytes, readParts, textOf } from './replay-fixture.ts';

const fixtures = ['openai-responses-basic', 'openai-responses-function-call', 'openai-responses-incomplete', 'openai-responses-failed'];

describe('OpenAI Responses: stream translation from documented transcripts', () => {
  test('a text answer: metadata from response.created, output_text deltas, usage and finish from response.completed', async () => {
    const { parts, error } = await readParts(readResponsesStream, [fixtureBytes('openai-responses-basic')]);
    assert.equal(error, undefined);
    assert.deepEqual(parts[0], { type: 'response-metadata', id: 'resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654', model: 'gpt-4.1-2025-04-14' });
    assert.equal(textOf(parts, 'text-delta'), 'Hi there! How can I assist you today?');
    assert.deepEqual(parts.slice(-2), [
      { type: 'usage', usage: { promptTokens: 37, completionTokens: 11, totalTokens: 48, estimated: false } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  test('a function call: call_id and name open call 0, argument deltas follow, the finish is tool_calls', async () => {
    const { parts } = await readParts(readResponsesStream, [fixtureBytes('openai-responses-function-call')]);
    const calls = parts.filter((part) => part.type === 'tool-call-delta');
    assert.deepEqual(calls[0], { type: 'tool-call-delta', index: 0, id: 'call_Tj8fHTB1PSx3NMiw2KJkXH4Q', name: 'get_weather', argumentsDelta: '' });
    assert.equal(calls.map((call) => call.argumentsDelta).join(''), '{"location":"Paris, France"}');
    assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'tool_calls' });
    assert.deepEqual(parts.at(-2), { type: 'usage', usage: { promptTokens: 57, completionTokens: 18, totalTokens: 75, estimated: false } });
  });

  test('response.incomplete for max_output_tokens finishes with length, after its usage', async () => {
    const { parts } = await readParts(readResponsesStream, [fixtureBytes('openai-responses-incomplete')]);
    assert.equal(textOf(parts, 'text-delta'), 'The first three primes are 2,');
    assert.deepEqual(parts.slice(-2), [
      { type: 'usage', usage: { promptTokens: 14, completionTokens: 16, totalTokens: 30, estimated: false } },
      { type: 'finish', finishReason: 'length' },
    ]);
  });

  test('an error event mid-stream is the terminal error part; the response.failed after it is not read as more', async () => {
    const { parts, error } = await readParts(readResponsesStream, [fixtureBytes('openai-responses-failed')]);
    assert.equal(error, undefined);
    assert.equal(textOf(parts, 'text-delta'), 'Let me think');
    assert.deepEqual(parts.at(-1), {
      type: 'error',
      code: 'upstream_error',
      message: 'Upstream error: The server had an error while processing your request. Sorry about that!',
      retryable: true,
    });
    assert.equal(parts.filter((part) => part.type === 'error').length, 1);
  });

  for (const fixture of fixtures) {
    test(`${fixture}: the same parts however the bytes are split`, async () => {
      const bytes = fixtureBytes(fixture);
      const expected = await readParts(readResponsesStream, [bytes]);
      for (const { label, chunks } of byteSplits(bytes)) assert.deepEqual(await readParts(readResponsesStream, chunks), expected, label);
    });
  }

  test('a body that ends before the response is done is an upstream error', async () => {
    const bytes = fixtureBytes('openai-responses-basic');
    const { parts, error } = await readParts(readResponsesStream, [bytes.subarray(0, bytes.indexOf('event: response.completed'))]);
    assert.equal(textOf(parts, 'text-delta'), 'Hi there! How can I assist you today?');
    assert.ok(error instanceof SluiceError && error.code === 'upstream_error', String(error));
  });
});

describe('OpenAI Responses: request conversion', () => {
  test('messages become input items; tool calls and results become function_call items; parameters are renamed', () => {
    const request: ChatRequest = {
      model: 'gpt',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather here?' }, { type: 'image_url', image_url: { url: 'https://example.com/sky.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'Snow' },
        { role: 'assistant', content: 'It snows.' },
      ],
      parameters: {
        max_tokens: 100,
        temperature: 0.5,
        stop: ['x'],
        seed: 3,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: true } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: { type: 'object' }, strict: true } },
        stream_options: { include_usage: true },
      },
    };
    assert.deepEqual(toResponsesBody(request, 'gpt-4.1'), {
      model: 'gpt-4.1',
      input: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather here?' },
            { type: 'input_image', image_url: 'https://example.com/sky.png', detail: 'auto' },
          ],
        },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'Snow' },
        { role: 'assistant', content: 'It snows.' },
      ],
      stream: true,
      temperature: 0.5,
      max_output_tokens: 100,
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'weather', schema: { type: 'object' }, strict: true } },
    });
  });

  test('a tool that is not a function is refused with the field named', () => {
    assert.throws(
      () => toResponsesBody({ model: 'gpt', messages: [{ role: 'user', content: 'x' }], parameters: { tools: [{ type: 'custom' }] } }, 'gpt'),
      (error: SluiceError) => error.code === 'bad_request' && error.param === 'tools[0]',
    );
  });
});
