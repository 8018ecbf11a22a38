/**
 * The official `openai` client, unchanged but for its base URL, against every upstream Sluice speaks:
 * Chat Completions and the Responses API, streaming with usage, tool calls, whole responses, errors.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { startHarness, upstreamKinds, type Harness } from '../support/sluice-harness.ts';

const weatherTool = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const toolCalls = [
  { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
  { id: 'call_b', name: 'get_weather', arguments: '{"city":"Lima"}' },
];

for (const upstream of upstreamKinds) {
  describe(`openai client from ${upstream}`, () => {
    let harness: Harness;
    let client: OpenAI;
    before(async () => {
      harness = await startHarness({}, { upstream });
      client = new OpenAI({ apiKey: 'client-key', baseURL: `${harness.sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
    });
    after(() => harness.close());

    test('chat completions: streaming with usage, and two tool calls the SDK accumulates', async () => {
      harness.fake.setScenario({ text: 'Checking 두 cities.', toolCalls, usage: { prompt_tokens: 20, completion_tokens: 9 } });
      const runner = client.chat.completions.stream({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'Weather in Oslo and Lima?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool } }],
        stream_options: { include_usage: true },
      });
      const completion = await runner.finalChatCompletion();
      const choice = completion.choices[0];
      assert.equal(choice?.message.content, 'Checking 두 cities.');
      assert.equal(choice?.finish_reason, 'tool_calls');
      assert.deepEqual(
        choice?.message.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, call.function.arguments] : [])),
        toolCalls.map((call) => [call.id, call.name, call.arguments]),
      );
      assert.deepEqual(completion.usage, { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 });
    });

    test('chat completions: the tool results go back upstream in its own format', async () => {
      harness.fake.setScenario({ text: 'Oslo is cold.' });
      const before = harness.fake.requests.length;
      const completion = await client.chat.completions.create({
        model: 'gpt-test',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Oslo?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
          { role: 'tool', tool_call_id: 'call_a', content: '-3°C' },
        ],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool } }],
      });
      assert.equal(completion.choices[0]?.message.content, 'Oslo is cold.');
      const sent = harness.fake.requests[before]?.body;
      const serialized = JSON.stringify(sent);
      assert.ok(serialized.includes('call_a') && serialized.includes('-3°C') && serialized.includes('Be brief.'), serialized);
    });

    test('responses: streaming events through the SDK’s strict accumulator, with usage and a function call', async () => {
      harness.fake.setScenario({ text: 'One moment.', toolCalls: toolCalls.slice(0, 1), usage: { prompt_tokens: 14, completion_tokens: 6 } });
      const stream = client.responses.stream({
        model: 'gpt-test',
        instructions: 'Be brief.',
        input: 'Weather in Oslo?',
        tools: [{ type: 'function', name: 'get_weather', parameters: weatherTool, strict: false }],
      });
      const deltas: string[] = [];
      stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
      const response = await stream.finalResponse();
      assert.equal(deltas.join(''), 'One moment.');
      assert.equal(response.status, 'completed');
      assert.equal(response.output_text, 'One moment.');
      const call = response.output.find((item) => item.type === 'function_call');
      assert.deepEqual(call && [call.call_id, call.name, call.arguments], ['call_a', 'get_weather', '{"city":"Oslo"}']);
      assert.deepEqual(response.usage && [response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens], [14, 6, 20]);
    });

    test('responses: a whole response without streaming, and a function_call_output sent back', async () => {
      harness.fake.setScenario({ text: 'Oslo: -3°C.' });
      const response = await client.responses.create({
        model: 'gpt-test',
        input: [
          { role: 'user', content: 'Weather in Oslo?' },
          { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { type: 'function_call_output', call_id: 'call_a', output: '-3°C' },
        ],
      });
      assert.equal(response.output_text, 'Oslo: -3°C.');
      assert.equal(response.status, 'completed');
    });

    test('responses: a length cut is response.incomplete with max_output_tokens', async () => {
      harness.fake.setScenario({ text: 'Cut short', finishReason: 'length' });
      const stream = await client.responses.create({ model: 'gpt-test', input: 'Write a lot', max_output_tokens: 16, stream: true });
      const types: string[] = [];
      let incomplete: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'response.incomplete') incomplete = event.response;
      }
      assert.equal(types.at(-1), 'response.incomplete');
      assert.equal(incomplete?.incomplete_details?.reason, 'max_output_tokens');
    });

    test('a mid-stream upstream failure is an APIError from both APIs, never a normal end', async () => {
      harness.fake.setScenario({ text: 'a b c d', fault: { afterTokens: 2, kind: 'error-event' } });
      const chat = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
      await assert.rejects(async () => {
        for await (const _chunk of chat);
      }, APIError);
      const responses = await client.responses.create({ model: 'gpt-test', input: 'hi', stream: true });
      await assert.rejects(async () => {
        for await (const _event of responses);
      }, APIError);
    });
  });
}

describe('openai client: failures before the first byte', () => {
  let harness: Harness;
  let client: OpenAI;
  before(async () => {
    harness = await startHarness();
    client = new OpenAI({ apiKey: 'client-key', baseURL: `${harness.sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
  });
  after(() => harness.close());

  test('an upstream 429 on the Responses API is the SDK’s RateLimitError, retry-after included', async () => {
    harness.fake.setScenario({ status: 429, responseHeaders: { 'retry-after': '3' } });
    await assert.rejects(client.responses.create({ model: 'gpt-test', input: 'hi', stream: true }), (error: InstanceType<typeof OpenAI.RateLimitError>) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '3');
      return true;
    });
  });

  test('a request Sluice cannot honour is a BadRequestError naming the field', async () => {
    await assert.rejects(
      client.responses.create({ model: 'gpt-test', input: 'hi', previous_response_id: 'resp_123' }),
      (error: InstanceType<typeof OpenAI.BadRequestError>) => error instanceof OpenAI.BadRequestError && error.param === 'previous_response_id',
    );
  });
});
