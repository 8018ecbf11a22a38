import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createParser } from 'eventsource-parser';
import { SluiceError, type StreamPart } from '@sluice/protocol';
import { toAnthropicMessagesBody } from '../../packages/server/src/providers/anthropic-messages/convert-request.ts';
import { createAnthropicMessageCollector } from '../../packages/server/src/server/dialects/anthropic-messages/anthropic-message-collector.ts';
import { anthropicMessagesDialect } from '../../packages/server/src/server/dialects/anthropic-messages/anthropic-messages-egress.ts';
import { decodeAnthropicMessagesRequest } from '../../packages/server/src/server/dialects/anthropic-messages/anthropic-messages-ingress.ts';
import type { StreamMeta } from '../../packages/server/src/server/dialects/egress-dialect.ts';

const meta: StreamMeta = { streamId: 'abc', requestId: 'req-1', model: 'claude-test', created: 1_700_000_000, demo: false };

/** Encodes parts one batch each and parses the SSE back: [event name, data]. */
function encode(parts: StreamPart[]): [string, Record<string, any>][] {
  const encoder = anthropicMessagesDialect.createEncoder(meta, { model: 'claude-test', messages: [], parameters: {} });
  const events: [string, Record<string, any>][] = [];
  const parser = createParser({ onEvent: (message) => events.push([message.event ?? '', JSON.parse(message.data)]) });
  parser.feed(encoder.start());
  for (const part of parts) parser.feed(encoder.encode([part]));
  return events;
}

describe('Anthropic Messages dialect: the event sequence', () => {
  test('thinking, text, two tool calls: one block each, in order, then message_delta and message_stop', () => {
    const events = encode([
      { type: 'response-metadata', id: 'upstream-id', model: 'gpt-4o' },
      { type: 'reasoning-delta', text: 'Two cities.' },
      { type: 'text-delta', text: 'Checking ' },
      { type: 'text-delta', text: 'both.' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'get_weather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"Oslo"}' },
      { type: 'tool-call-delta', index: 1, id: 'call_2', name: 'get_weather', argumentsDelta: '{"city":"Lima"}' },
      { type: 'usage', usage: { promptTokens: 30, completionTokens: 12, totalTokens: 42, estimated: false } },
      { type: 'finish', finishReason: 'tool_calls' },
    ]);
    assert.deepEqual(events, [
      [
        'message_start',
        {
          type: 'message_start',
          message: { id: 'msg_abc', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } },
        },
      ],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Two cities.' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Checking ' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'both.' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city":' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      ['content_block_start', { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"city":"Lima"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 3 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 30, output_tokens: 12 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
  });

  test('finish reasons map to stop reasons', () => {
    const stopReason = (finishReason: 'stop' | 'length' | 'content_filter') =>
      encode([{ type: 'finish', finishReason }]).find(([name]) => name === 'message_delta')?.[1].delta.stop_reason;
    assert.deepEqual([stopReason('stop'), stopReason('length'), stopReason('content_filter')], ['end_turn', 'max_tokens', 'refusal']);
  });

  test('a failure is an error event with Anthropic’s error type, and nothing follows it', () => {
    for (const [code, type] of [
      ['overloaded', 'overloaded_error'],
      ['upstream_error', 'api_error'],
      ['timeout', 'timeout_error'],
      ['rate_limited', 'rate_limit_error'],
    ] as const) {
      const events = encode([
        { type: 'text-delta', text: 'Half' },
        { type: 'error', code, message: 'It broke', retryable: true },
      ]);
      assert.deepEqual(events.at(-1), ['error', { type: 'error', error: { type, message: 'It broke' } }]);
      assert.ok(!events.some(([name]) => name === 'message_stop'));
    }
  });

  test('heartbeats are Anthropic’s own ping event', () => {
    assert.equal(anthropicMessagesDialect.heartbeat, 'event: ping\ndata: {"type":"ping"}\n\n');
  });

  test('stream: false collects one Message with the same blocks', () => {
    const collector = createAnthropicMessageCollector(meta);
    for (const part of [
      { type: 'text-delta', text: 'Sure' },
      { type: 'text-delta', text: '.' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'lookup', argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"x"}' },
      { type: 'usage', usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7, estimated: false } },
      { type: 'finish', finishReason: 'tool_calls' },
    ] satisfies StreamPart[]) {
      collector.add(part);
    }
    assert.deepEqual(collector.toResponse(), {
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [
        { type: 'text', text: 'Sure.' },
        { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'x' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 4 },
    });
  });
});

describe('Anthropic Messages dialect: requests', () => {
  test('system, tool results before the rest of their turn, tool use, images, and the parameters', () => {
    const { chatRequest, stream } = decodeAnthropicMessagesRequest({
      model: 'claude-test',
      max_tokens: 300,
      stream: true,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'png' } },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Also this.' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a picture' }] }] },
      ],
      stop_sequences: ['END'],
      temperature: 0.3,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      metadata: { user_id: 'u-1' },
      tools: [{ name: 'lookup', description: 'Looks up', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    assert.equal(stream, true);
    assert.deepEqual(chatRequest.messages, [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
        ],
      },
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"png"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'a picture' },
      { role: 'user', content: 'Also this.' },
    ]);
    assert.deepEqual(chatRequest.parameters, {
      max_tokens: 300,
      temperature: 0.3,
      stop: ['END'],
      user: 'u-1',
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' } } },
    });
    assert.deepEqual(chatRequest.providerOptions, { anthropic: { thinking: { type: 'enabled', budget_tokens: 1024 }, top_k: 5 } });
  });

  test('Anthropic-only options reach an Anthropic upstream, and only it', () => {
    const { chatRequest } = decodeAnthropicMessagesRequest({
      model: 'claude-test',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'hi' }],
    });
    const body = toAnthropicMessagesBody(chatRequest, 'claude-sonnet-4-5', 4096);
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 1024 });
    assert.equal('thinking' in chatRequest.parameters, false);
  });

  test('what is missing or cannot be relayed is refused with the field named', () => {
    const refused = (body: unknown, param: string) =>
      assert.throws(() => decodeAnthropicMessagesRequest(body), (error: SluiceError) => error.code === 'bad_request' && error.param === param, param);
    refused({ model: 'c', messages: [{ role: 'user', content: 'hi' }] }, 'max_tokens');
    refused({ model: 'c', max_tokens: 5, messages: [] }, 'messages');
    refused({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }, 'messages[0].content[0]');
    refused({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', name: 'y', input: {} }] }] }, 'messages[0].content[0]');
    refused({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }, 'messages[0].content[0].source.type');
    refused({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], tool_choice: { type: 'tool' } }, 'tool_choice.name');
  });
});
