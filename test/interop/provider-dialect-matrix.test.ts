/**
 * Every upstream wire format (OpenAI Chat Completions as OpenAI, vLLM, Ollama and llama.cpp send it;
 * OpenAI Responses; Anthropic Messages) relayed to every client dialect over real HTTP: text, tool
 * calls, usage and the finish reason arrive whole, and an upstream failure mid-stream reaches the
 * client in its own dialect's error form.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Flavour, Scenario } from '../support/fake-provider/index.ts';
import { dialectReaders, type DialectReader } from '../support/dialect-readers.ts';
import { startHarness, upstreamKinds, type Harness, type UpstreamKind } from '../support/sluice-harness.ts';
import { readStream, type OpenedStream } from '../support/sse-client.ts';

const toolCalls = [
  { id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' },
  { id: 'call_weather_2', name: 'get_weather', arguments: '{"city":"Kraków 🌧","unit":"celsius"}' },
];
const answer = 'Looking up both cities — 한 번에.';

/** How each dialect says "the upstream failed mid-stream", checked on the raw bytes. */
const errorForms: Record<string, (stream: OpenedStream) => void> = {
  'sluice events': (stream) => {
    assert.deepEqual(stream.messages.slice(-2).map((message) => message.event), ['error', 'done']);
    assert.equal(JSON.parse(stream.messages.at(-1)!.data).finish_reason, 'error');
  },
  'openai chat completions': (stream) => {
    assert.ok(JSON.parse(stream.messages.at(-1)!.data).error, 'a last chunk holding only error');
    assert.ok(!stream.raw().includes('[DONE]'));
  },
  'anthropic messages': (stream) => {
    assert.equal(stream.messages.at(-1)!.event, 'error');
    assert.equal(JSON.parse(stream.messages.at(-1)!.data).type, 'error');
    assert.ok(!stream.messages.some((message) => message.event === 'message_stop'));
  },
  'openai responses': (stream) => {
    assert.deepEqual(stream.messages.slice(-2).map((message) => message.event), ['error', 'response.failed']);
    assert.equal(JSON.parse(stream.messages.at(-1)!.data).response.status, 'failed');
  },
  'ai sdk ui message stream': (stream) => {
    assert.equal(JSON.parse(stream.messages.at(-2)!.data).type, 'error');
    assert.equal(stream.messages.at(-1)!.data, '[DONE]');
    assert.ok(!stream.messages.some((message) => message.data.includes('"type":"finish"')));
  },
  'plain text': (stream) => {
    assert.equal(stream.complete(), false, 'the body is cut, never complete');
    assert.match(stream.raw(), /\n\[error [a-z_]+\] .+\n$/);
  },
};

const sources: { upstream: UpstreamKind; flavour?: Flavour }[] = [
  ...(['openai', 'vllm', 'ollama', 'llamacpp'] as const).map((flavour) => ({ upstream: 'openai-chat' as const, flavour })),
  ...upstreamKinds.filter((kind) => kind !== 'openai-chat').map((upstream) => ({ upstream })),
];

for (const { upstream, flavour } of sources) {
  describe(`from ${upstream}${flavour ? ` (${flavour})` : ''}`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startHarness({}, { upstream });
    });
    after(() => harness.close());

    const ask = async (reader: DialectReader, scenario: Scenario) => {
      harness.fake.setScenario({ ...scenario, flavour });
      const stream = await readStream(`${harness.sluice.url}${reader.path}`, { body: reader.body('What is the weather in Oslo and Kraków?') });
      assert.equal(stream.status, 200);
      return { stream, summary: reader.summarize(stream.messages, stream) };
    };

    for (const reader of dialectReaders) {
      test(`to ${reader.name}: text, tool calls, usage and finish reason`, async () => {
        const { summary } = await ask(reader, { text: answer, toolCalls, tokensPerEvent: 2, usage: { prompt_tokens: 31, completion_tokens: 47 } });
        assert.equal(summary.ending, 'done');
        assert.equal(summary.text, answer);
        if (reader.carries.toolCalls) assert.deepEqual(summary.toolCalls, toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })));
        if (reader.carries.finishReason) assert.equal(summary.finishReason, 'tool_calls');
        if (reader.carries.usage) assert.deepEqual(summary.usage && [summary.usage.prompt_tokens, summary.usage.completion_tokens], [31, 47]);
      });

      test(`to ${reader.name}: an upstream error mid-stream arrives in the dialect's own error form`, async () => {
        const { stream, summary } = await ask(reader, { text: 'one two three four five', fault: { afterTokens: 2, kind: 'error-event' } });
        assert.equal(summary.text, 'one two ');
        assert.equal(summary.ending, 'error');
        if (reader.carries.errorCode) assert.equal(summary.errorCode, upstream === 'anthropic-messages' ? 'overloaded' : 'upstream_error');
        errorForms[reader.name]!(stream);
      });
    }
  });
}
