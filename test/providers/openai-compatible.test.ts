/**
 * The Chat Completions adapter against OpenAI and the OpenAI-compatible servers that differ from it:
 * vLLM, Ollama and llama.cpp. Documented quirks are replayed from fixtures at every byte split, and each
 * server flavour of the fake upstream is relayed end to end.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StreamPart } from '@sluice/protocol';
import { readChatCompletionStream } from '../../packages/server/src/providers/openai-chat/openai-chat-provider.ts';
import { readStream } from '../support/sse-client.ts';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { byteSplits, fixtureBytes, readParts, textOf } from './replay-fixture.ts';

const fixtures = ['openai-chat-basic', 'openai-chat-usage', 'openai-chat-tool-call', 'ollama-tool-calls', 'vllm-continuous-usage', 'llamacpp-usage-in-finish'];

function toolCalls(parts: StreamPart[]): { index: number; id: string | undefined; name: string | undefined; arguments: string }[] {
  const calls: { index: number; id: string | undefined; name: string | undefined; arguments: string }[] = [];
  for (const part of parts) {
    if (part.type !== 'tool-call-delta') continue;
    const call = (calls[part.index] ??= { index: part.index, id: undefined, name: undefined, arguments: '' });
    call.id ??= part.id;
    call.name ??= part.name;
    call.arguments += part.argumentsDelta;
  }
  return calls;
}

describe('OpenAI-compatible quirks, replayed from documented transcripts', () => {
  for (const fixture of fixtures) {
    test(`${fixture}: the same parts however the bytes are split`, async () => {
      const bytes = fixtureBytes(fixture);
      const expected = await readParts(readChatCompletionStream, [bytes]);
      assert.equal(expected.error, undefined);
      for (const { label, chunks } of byteSplits(bytes)) assert.deepEqual(await readParts(readChatCompletionStream, chunks), expected, label);
    });
  }

  test('Ollama: two calls that both say index 0 stay two calls, told apart by their ids', async () => {
    const { parts } = await readParts(readChatCompletionStream, [fixtureBytes('ollama-tool-calls')]);
    assert.deepEqual(toolCalls(parts), [
      { index: 0, id: 'call_5wz1mq9r', name: 'file_write', arguments: '{"content":"print(\\"hello\\")","filePath":"hello.py"}' },
      { index: 1, id: 'call_k2v8c0ta', name: 'file_write', arguments: '{"content":"print(\\"world\\")","filePath":"world.py"}' },
    ]);
    assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'tool_calls' });
  });

  test('vLLM: usage on every chunk is relayed once, the last count; reasoning_content is reasoning', async () => {
    const { parts } = await readParts(readChatCompletionStream, [fixtureBytes('vllm-continuous-usage')]);
    assert.equal(textOf(parts, 'reasoning-delta'), 'Two plus two is four.');
    assert.equal(textOf(parts, 'text-delta'), '2 + 2 = 4.');
    assert.deepEqual(
      parts.filter((part) => part.type === 'usage'),
      [{ type: 'usage', usage: { promptTokens: 18, completionTokens: 12, totalTokens: 30, estimated: false } }],
    );
    assert.deepEqual(parts.at(-1), { type: 'finish', finishReason: 'stop' });
  });

  test('llama.cpp: usage in the finish chunk, content null in the role delta, timings ignored', async () => {
    const { parts } = await readParts(readChatCompletionStream, [fixtureBytes('llamacpp-usage-in-finish')]);
    assert.deepEqual(parts.slice(1), [
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: ' world' },
      { type: 'usage', usage: { promptTokens: 12, completionTokens: 2, totalTokens: 14, estimated: false } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  test('a delta without an index is placed by its position among the calls of that delta', async () => {
    const chunk = (toolCallsDelta: unknown[], finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'x', choices: [{ index: 0, delta: { tool_calls: toolCallsDelta }, finish_reason: finish }] })}\n\n`;
    const body = Buffer.from(
      chunk([
        { id: 'call_a', function: { name: 'a', arguments: '{}' } },
        { id: 'call_b', function: { name: 'b', arguments: '{"n":1}' } },
      ]) +
        chunk([], 'tool_calls') +
        'data: [DONE]\n\n',
    );
    const { parts } = await readParts(readChatCompletionStream, [body]);
    assert.deepEqual(
      toolCalls(parts).map((call) => [call.index, call.id, call.arguments]),
      [
        [0, 'call_a', '{}'],
        [1, 'call_b', '{"n":1}'],
      ],
    );
  });
});

describe('OpenAI-compatible server flavours, relayed end to end', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  for (const flavour of ['openai', 'vllm', 'ollama', 'llamacpp'] as const) {
    test(`${flavour}: text in batches, reasoning, two tool calls and usage come out as OpenAI chunks`, async () => {
      harness.fake.setScenario({
        flavour,
        text: 'Checking both files now.',
        reasoning: flavour === 'openai' ? undefined : 'The user wants two files.',
        tokensPerEvent: 3,
        toolCalls: [
          { id: 'call_1', name: 'read_file', arguments: '{"path":"a.txt"}' },
          { id: 'call_2', name: 'read_file', arguments: '{"path":"b.txt"}' },
        ],
        usage: { prompt_tokens: 21, completion_tokens: 34 },
      });
      const stream = await readStream(`${harness.sluice.url}/v1/chat/completions`, {
        body: { model: 'local-model', messages: [{ role: 'user', content: 'Read a.txt and b.txt' }], stream: true, stream_options: { include_usage: true } },
      });
      assert.equal(stream.status, 200);
      const chunks = stream.messages.filter((message) => message.data !== '[DONE]').map((message) => JSON.parse(message.data));
      assert.equal(stream.messages.at(-1)?.data, '[DONE]');
      const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice: { delta: Record<string, unknown> }) => choice.delta));
      assert.equal(deltas.map((delta) => delta.content ?? '').join(''), 'Checking both files now.');
      if (flavour !== 'openai') assert.equal(deltas.map((delta) => delta.reasoning_content ?? '').join(''), 'The user wants two files.');
      const calls: Record<number, { id?: string; name?: string; arguments: string }> = {};
      for (const delta of deltas) {
        for (const call of (delta.tool_calls as { index: number; id?: string; function: { name?: string; arguments: string } }[] | undefined) ?? []) {
          const entry = (calls[call.index] ??= { arguments: '' });
          entry.id ??= call.id;
          entry.name ??= call.function.name;
          entry.arguments += call.function.arguments;
        }
      }
      assert.deepEqual(calls, {
        0: { id: 'call_1', name: 'read_file', arguments: '{"path":"a.txt"}' },
        1: { id: 'call_2', name: 'read_file', arguments: '{"path":"b.txt"}' },
      });
      assert.equal(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0].finish_reason, 'tool_calls');
      assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 21, completion_tokens: 34, total_tokens: 55 });
    });
  }
});
