import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ChatRequest, SluiceError, type StreamPart } from '@sluice/protocol';
import { readAnthropicMessagesStream } from '../../packages/server/src/providers/anthropic-messages/anthropic-messages-provider.ts';
import { toAnthropicMessagesBody } from '../../packages/server/src/providers/anthropic-messages/convert-request.ts';
import { createAnthropicMappingState, mapAnthropicEvent } from '../../packages/server/src/providers/anthropic-messages/map-event.ts';
import { byteSplits, fixtureBytes, readParts, textOf } from './replay-fixture.ts';

describe('Anthropic Messages: stream translation from documented transcripts', () => {
  test('a text answer: metadata, deltas, then usage and finish from message_delta at message_stop', async () => {
    const { parts, error } = await readParts(readAnthropicMessagesStream, [fixtureBytes('anthropic-basic')]);
    assert.equal(error, undefined);
    assert.deepEqual(parts, [
      { type: 'response-metadata', id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', model: 'claude-sonnet-4-5' },
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: '!' },
      { type: 'usage', usage: { promptTokens: 25, completionTokens: 15, totalTokens: 40, estimated: false } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  test('tool use: the tool_use block opens call 0 with its id and name, input_json_delta fragments are its arguments', async () => {
    const { parts } = await readParts(readAnthropicMessagesStream, [fixtureBytes('anthropic-tool-use')]);
    assert.equal(textOf(parts, 'text-delta'), "Okay, let's check the weather for San Francisco, CA:");
    const calls = parts.filter((part) => part.type === 'tool-call-delta');
    assert.deepEqual(calls[0], { type: 'tool-call-delta', index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', argumentsDelta: '' });
    assert.ok(calls.every((call) => call.index === 0));
    assert.deepEqual(JSON.parse(calls.map((call) => call.argumentsDelta).join('')), { location: 'San Francisco, CA', unit: 'fahrenheit' });
    assert.deepEqual(parts.slice(-2), [
      { type: 'usage', usage: { promptTokens: 472, completionTokens: 89, totalTokens: 561, estimated: false } },
      { type: 'finish', finishReason: 'tool_calls' },
    ]);
  });

  test('extended thinking becomes reasoning deltas, the signature is dropped, the answer follows', async () => {
    const { parts } = await readParts(readAnthropicMessagesStream, [fixtureBytes('anthropic-thinking')]);
    assert.match(textOf(parts, 'reasoning-delta'), /^I need to find the GCD[\s\S]*So the GCD is 21\.$/);
    assert.equal(textOf(parts, 'text-delta'), 'The greatest common divisor of 1071 and 462 is **21**.');
    assert.equal(JSON.stringify(parts).includes('EqQBCgIY'), false);
  });

  test('overloaded_error mid-stream is a retryable `overloaded` error part after the text so far', async () => {
    const { parts, error } = await readParts(readAnthropicMessagesStream, [fixtureBytes('anthropic-overloaded')]);
    assert.equal(error, undefined);
    assert.equal(textOf(parts, 'text-delta'), 'Once upon a time');
    assert.deepEqual(parts.at(-1), { type: 'error', code: 'overloaded', message: 'Upstream error: Overloaded', retryable: true });
  });

  for (const fixture of ['anthropic-basic', 'anthropic-tool-use', 'anthropic-thinking', 'anthropic-overloaded']) {
    test(`${fixture}: the same parts however the bytes are split`, async () => {
      const bytes = fixtureBytes(fixture);
      const expected = await readParts(readAnthropicMessagesStream, [bytes]);
      for (const { label, chunks } of byteSplits(bytes)) {
        const actual = await readParts(readAnthropicMessagesStream, chunks);
        assert.deepEqual(actual, expected, label);
      }
    });
  }

  test('a body that ends before message_stop is an upstream error, never a finish', async () => {
    const bytes = fixtureBytes('anthropic-basic');
    const cut = bytes.subarray(0, bytes.indexOf('event: message_delta'));
    const { parts, error } = await readParts(readAnthropicMessagesStream, [cut]);
    assert.equal(textOf(parts, 'text-delta'), 'Hello!');
    assert.ok(parts.every((part) => part.type !== 'finish'));
    assert.ok(error instanceof SluiceError && error.code === 'upstream_error', String(error));
  });

  test('tool calls count from 0 whatever blocks come between them; cache reads count as prompt tokens', () => {
    const state = createAnthropicMappingState();
    const parts: StreamPart[] = [];
    const events = [
      { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 3, cache_read_input_tokens: 100, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Two calls:' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'first', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{}' } },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'second', input: {} } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"x":1}' } },
      { type: 'a_future_event', whatever: true },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];
    for (const event of events) mapAnthropicEvent(state, event as never, parts);
    assert.deepEqual(
      parts.filter((part) => part.type === 'tool-call-delta').map((part) => [part.index, part.id, part.argumentsDelta]),
      [
        [0, 'toolu_a', ''],
        [0, undefined, '{}'],
        [1, 'toolu_b', ''],
        [1, undefined, '{"x":1}'],
      ],
    );
    assert.deepEqual(parts.slice(-2), [
      { type: 'usage', usage: { promptTokens: 103, completionTokens: 9, totalTokens: 112, estimated: false } },
      { type: 'finish', finishReason: 'length' },
    ]);
  });
});

describe('Anthropic Messages: request conversion', () => {
  const request = (messages: ChatRequest['messages'], parameters: Record<string, unknown> = {}): ChatRequest => ({ model: 'claude', messages, parameters });

  test('system messages become `system`, max_tokens is always set, streaming is on', () => {
    const body = toAnthropicMessagesBody(
      request([
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
        { role: 'user', content: 'Hi' },
      ]),
      'claude-sonnet-4-5',
      4096,
    );
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 4096,
      stream: true,
      system: 'Be brief.\n\nUse metric units.',
    });
    assert.equal(toAnthropicMessagesBody(request([{ role: 'user', content: 'Hi' }], { max_tokens: 50 }), 'm', 4096).max_tokens, 50);
    assert.equal(toAnthropicMessagesBody(request([{ role: 'user', content: 'Hi' }], { max_completion_tokens: 70, max_tokens: 50 }), 'm', 4096).max_tokens, 70);
  });

  test('a tool round trip: tool_calls become tool_use blocks, tool messages tool_result blocks in one user turn', () => {
    const body = toAnthropicMessagesBody(
      request([
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24°C' }] },
        { role: 'user', content: 'Thanks' },
      ]),
      'm',
      1000,
    );
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18°C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '24°C' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  test('tools, tool_choice, stop, user, images and a JSON schema map to their Anthropic fields', () => {
    const body = toAnthropicMessagesBody(
      request(
        [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
        {
          tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
          tool_choice: { type: 'function', function: { name: 'lookup' } },
          parallel_tool_calls: false,
          stop: 'END',
          user: 'user-7',
          temperature: 0.2,
          seed: 7,
          response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' } } },
        },
      ),
      'm',
      1000,
    );
    assert.deepEqual((body.messages as { content: unknown[] }[])[0]?.content, [
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
    assert.deepEqual(body.tools, [{ name: 'lookup', description: 'Looks up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }]);
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'lookup', disable_parallel_tool_use: true });
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.deepEqual(body.metadata, { user_id: 'user-7' });
    assert.equal(body.temperature, 0.2);
    assert.equal('seed' in body, false);
    assert.deepEqual(body.output_config, { format: { type: 'json_schema', schema: { type: 'object' } } });
  });

  test('what Anthropic cannot take is refused with the field named', () => {
    assert.throws(
      () => toAnthropicMessagesBody(request([{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }]), 'm', 1),
      (error: SluiceError) => error.code === 'bad_request' && error.param === 'messages[0].content[0]',
    );
    assert.throws(
      () => toAnthropicMessagesBody(request([{ role: 'user', content: 'x' }], { tools: [{ type: 'web_search' }] }), 'm', 1),
      (error: SluiceError) => error.code === 'bad_request' && error.param === 'tools[0]',
    );
    assert.throws(
      () =>
        toAnthropicMessagesBody(
          request([{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }]),
          'm',
          1,
        ),
      (error: SluiceError) => error.param === 'messages[0].tool_calls[0].function.arguments',
    );
  });
});
