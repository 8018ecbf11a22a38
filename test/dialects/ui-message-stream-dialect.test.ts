import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createParser } from 'eventsource-parser';
import type { StreamPart } from '@sluice/protocol';
import { uiMessageStreamDialect } from '../../packages/server/src/server/dialects/ai-sdk-ui/ui-message-egress.ts';
import { decodeUIMessageRequest } from '../../packages/server/src/server/dialects/ai-sdk-ui/ui-message-ingress.ts';
import type { StreamMeta } from '../../packages/server/src/server/dialects/egress-dialect.ts';

const meta: StreamMeta = { streamId: 'u1', requestId: 'req-1', model: 'gpt-test', created: 1_700_000_000, demo: false };

function encode(parts: StreamPart[]): unknown[] {
  const encoder = uiMessageStreamDialect.createEncoder(meta, { model: 'gpt-test', messages: [], parameters: {} });
  const chunks: unknown[] = [];
  const parser = createParser({
    onEvent: (message) => {
      assert.equal(message.event, undefined, 'the UI message stream has no event names');
      chunks.push(message.data === '[DONE]' ? '[DONE]' : JSON.parse(message.data));
    },
  });
  parser.feed(encoder.start());
  for (const part of parts) parser.feed(encoder.encode([part]));
  return chunks;
}

describe('AI SDK UI message stream dialect', () => {
  test('announces protocol v1 in its header', () => {
    assert.deepEqual(uiMessageStreamDialect.headers, { 'x-vercel-ai-ui-message-stream': 'v1' });
  });

  test('reasoning, text and tool calls as start/delta/end blocks; tool inputs once the step ends; finish; [DONE]', () => {
    assert.deepEqual(
      encode([
        { type: 'reasoning-delta', text: 'Hmm.' },
        { type: 'text-delta', text: 'Calling ' },
        { type: 'text-delta', text: 'tools.' },
        { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'lookup', argumentsDelta: '{"q":' },
        { type: 'tool-call-delta', index: 1, id: 'call_2', name: 'broken', argumentsDelta: '{"oops' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '"x"}' },
        { type: 'usage', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3, estimated: false } },
        { type: 'finish', finishReason: 'tool_calls' },
      ]),
      [
        { type: 'start', messageId: 'msg_u1' },
        { type: 'start-step' },
        { type: 'reasoning-start', id: 'reasoning-0' },
        { type: 'reasoning-delta', id: 'reasoning-0', delta: 'Hmm.' },
        { type: 'reasoning-end', id: 'reasoning-0' },
        { type: 'text-start', id: 'text-1' },
        { type: 'text-delta', id: 'text-1', delta: 'Calling ' },
        { type: 'text-delta', id: 'text-1', delta: 'tools.' },
        { type: 'text-end', id: 'text-1' },
        { type: 'tool-input-start', toolCallId: 'call_1', toolName: 'lookup' },
        { type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '{"q":' },
        { type: 'tool-input-start', toolCallId: 'call_2', toolName: 'broken' },
        { type: 'tool-input-delta', toolCallId: 'call_2', inputTextDelta: '{"oops' },
        { type: 'tool-input-delta', toolCallId: 'call_1', inputTextDelta: '"x"}' },
        { type: 'tool-input-available', toolCallId: 'call_1', toolName: 'lookup', input: { q: 'x' } },
        { type: 'tool-input-error', toolCallId: 'call_2', toolName: 'broken', input: '{"oops', errorText: 'The model sent tool arguments that are not valid JSON' },
        { type: 'finish-step' },
        { type: 'finish', finishReason: 'tool-calls' },
        '[DONE]',
      ],
    );
  });

  test('a failure is an error chunk, a cancel an abort chunk; [DONE] closes both and no finish is claimed', () => {
    assert.deepEqual(encode([{ type: 'text-delta', text: 'Hal' }, { type: 'error', code: 'upstream_error', message: 'Upstream error: boom', retryable: true }]).slice(-3), [
      { type: 'text-end', id: 'text-0' },
      { type: 'error', errorText: 'Upstream error: boom' },
      '[DONE]',
    ]);
    assert.deepEqual(encode([{ type: 'error', code: 'cancelled', message: 'The stream was cancelled', retryable: false }]).slice(-2), [
      { type: 'abort', reason: 'The stream was cancelled' },
      '[DONE]',
    ]);
  });

  test('UI messages become chat messages: files, one assistant turn per step, tool outputs as tool messages', () => {
    const request = decodeUIMessageRequest(
      {
        id: 'chat-1',
        trigger: 'submit-message',
        messageId: 'x',
        appField: 'ignored',
        temperature: 0.4,
        messages: [
          { id: '0', role: 'system', parts: [{ type: 'text', text: 'Be kind.' }] },
          {
            id: '1',
            role: 'user',
            parts: [
              { type: 'text', text: 'Read these.' },
              { type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,iVBO' },
              { type: 'file', mediaType: 'application/pdf', filename: 'a.pdf', url: 'data:application/pdf;base64,JVBE' },
            ],
          },
          {
            id: '2',
            role: 'assistant',
            parts: [
              { type: 'step-start' },
              { type: 'reasoning', text: 'Two files.' },
              { type: 'text', text: 'Reading.' },
              { type: 'tool-readFile', toolCallId: 'call_1', state: 'output-available', input: { name: 'a.pdf' }, output: { pages: 2 } },
              { type: 'dynamic-tool', toolName: 'ocr', toolCallId: 'call_2', state: 'output-error', input: {}, errorText: 'no text' },
              { type: 'tool-readFile', toolCallId: 'call_3', state: 'input-available', input: { name: 'b' } },
              { type: 'step-start' },
              { type: 'text', text: 'Done: 2 pages.' },
              { type: 'data-progress', data: 1 },
            ],
          },
        ],
      },
      'default-model',
    );
    assert.equal(request.model, 'default-model');
    assert.deepEqual(request.parameters, { temperature: 0.4 });
    assert.deepEqual(request.messages, [
      { role: 'system', content: 'Be kind.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Read these.' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Reading.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'readFile', arguments: '{"name":"a.pdf"}' } },
          { id: 'call_2', type: 'function', function: { name: 'ocr', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"pages":2}' },
      { role: 'tool', tool_call_id: 'call_2', content: 'no text' },
      { role: 'assistant', content: 'Done: 2 pages.' },
    ]);
  });
});
