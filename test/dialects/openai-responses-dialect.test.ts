import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createParser } from 'eventsource-parser';
import { SluiceError, type StreamPart } from '@sluice/protocol';
import type { StreamMeta } from '../../packages/server/src/server/dialects/egress-dialect.ts';
import { createResponsesCollector, openaiResponsesDialect } from '../../packages/server/src/server/dialects/openai-responses/responses-egress.ts';
import { decodeResponsesRequest } from '../../packages/server/src/server/dialects/openai-responses/responses-ingress.ts';

const meta: StreamMeta = { streamId: 's1', requestId: 'req-1', model: 'gpt-test', created: 1_700_000_000, demo: false };

function encode(parts: StreamPart[]): Record<string, any>[] {
  const encoder = openaiResponsesDialect.createEncoder(meta, { model: 'gpt-test', messages: [], parameters: {} });
  const events: Record<string, any>[] = [];
  const parser = createParser({
    onEvent: (message) => {
      const data = JSON.parse(message.data);
      assert.equal(data.type, message.event);
      events.push(data);
    },
  });
  parser.feed(encoder.start());
  for (const part of parts) parser.feed(encoder.encode([part]));
  return events;
}

describe('OpenAI Responses dialect: the event sequence', () => {
  test('reasoning, text and a function call become three items, each opened and closed in order, numbered from 0', () => {
    const events = encode([
      { type: 'reasoning-delta', text: 'Think.' },
      { type: 'text-delta', text: 'Hi ' },
      { type: 'text-delta', text: 'there.' },
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'lookup', argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'usage', usage: { promptTokens: 5, completionTokens: 6, totalTokens: 11, estimated: false } },
      { type: 'finish', finishReason: 'tool_calls' },
    ]);
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    assert.deepEqual(
      events.map((event) => event.type + (event.output_index === undefined ? '' : `@${event.output_index}`)),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added@0',
        'response.content_part.added@0',
        'response.reasoning_text.delta@0',
        'response.reasoning_text.done@0',
        'response.content_part.done@0',
        'response.output_item.done@0',
        'response.output_item.added@1',
        'response.content_part.added@1',
        'response.output_text.delta@1',
        'response.output_text.delta@1',
        'response.output_text.done@1',
        'response.content_part.done@1',
        'response.output_item.done@1',
        'response.output_item.added@2',
        'response.function_call_arguments.delta@2',
        'response.function_call_arguments.delta@2',
        'response.function_call_arguments.done@2',
        'response.output_item.done@2',
        'response.completed',
      ],
    );
    const completed = events.at(-1)!.response;
    assert.equal(completed.id, 'resp_s1');
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.output, [
      { id: 'rs_s1_0', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'Think.' }] },
      { id: 'msg_s1_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hi there.' }] },
      { id: 'fc_s1_2', type: 'function_call', status: 'completed', arguments: '{"q":1}', call_id: 'call_1', name: 'lookup' },
    ]);
    assert.deepEqual(completed.usage, { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 11 });
    assert.equal(events[0]!.response.status, 'in_progress');
    assert.deepEqual(events[0]!.response.output, []);
  });

  test('a length finish is response.incomplete with max_output_tokens; a content filter with content_filter', () => {
    assert.deepEqual(encode([{ type: 'text-delta', text: 'x' }, { type: 'finish', finishReason: 'length' }]).at(-1)!.response.incomplete_details, { reason: 'max_output_tokens' });
    const filtered = encode([{ type: 'finish', finishReason: 'content_filter' }]).at(-1)!;
    assert.equal(filtered.type, 'response.incomplete');
    assert.deepEqual(filtered.response.incomplete_details, { reason: 'content_filter' });
  });

  test('a failure is an error event then response.failed carrying the same code and message', () => {
    const events = encode([
      { type: 'text-delta', text: 'Half' },
      { type: 'error', code: 'timeout', message: 'No token arrived for 150 ms', retryable: true },
    ]);
    assert.deepEqual(
      events.slice(-2).map((event) => event.type),
      ['error', 'response.failed'],
    );
    assert.deepEqual(events.at(-2), { type: 'error', sequence_number: events.length - 2, code: 'timeout', message: 'No token arrived for 150 ms', param: null });
    assert.deepEqual(events.at(-1)!.response.error, { code: 'timeout', message: 'No token arrived for 150 ms' });
    assert.equal(events.at(-1)!.response.status, 'failed');
  });

  test('stream: false answers the response object that response.completed would carry', () => {
    const collector = createResponsesCollector(meta);
    collector.add({ type: 'text-delta', text: 'Whole.' });
    collector.add({ type: 'finish', finishReason: 'stop' });
    const response = collector.toResponse() as Record<string, any>;
    assert.equal(response.status, 'completed');
    assert.equal(response.output[0].content[0].text, 'Whole.');
  });
});

describe('OpenAI Responses dialect: requests', () => {
  test('instructions, input items, function calls and their outputs, tools and text.format', () => {
    const { chatRequest, stream } = decodeResponsesRequest({
      model: 'gpt-test',
      stream: true,
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Compare these.' }, { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Looking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' },
        { type: 'function_call', call_id: 'call_2', name: 'lookup', arguments: '{"q":"b"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'A' },
        { type: 'function_call_output', call_id: 'call_2', output: 'B' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
      max_output_tokens: 200,
      temperature: 0.2,
      reasoning: { effort: 'low' },
      tools: [{ type: 'function', name: 'lookup', description: 'Looks up', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'lookup' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
    });
    assert.equal(stream, true);
    assert.deepEqual(chatRequest.messages, [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Looking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } },
          { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":"b"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'A' },
      { role: 'tool', tool_call_id: 'call_2', content: 'B' },
    ]);
    assert.deepEqual(chatRequest.parameters, {
      max_tokens: 200,
      temperature: 0.2,
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' }, description: 'Looks up', strict: true } }],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
    });
  });

  test('what needs stored state or built-in tools is refused with the field named', () => {
    const refused = (body: unknown, param: string) =>
      assert.throws(() => decodeResponsesRequest(body), (error: SluiceError) => error.code === 'bad_request' && error.param === param, param);
    refused({ model: 'm', input: 'hi', previous_response_id: 'resp_1' }, 'previous_response_id');
    refused({ model: 'm', input: 'hi', tools: [{ type: 'web_search' }] }, 'tools[0]');
    refused({ model: 'm', input: [{ type: 'item_reference', id: 'x' }] }, 'input[0]');
    refused({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }, 'input[0].content[0]');
  });
});
