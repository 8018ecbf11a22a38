/**
 * Mid-stream continuation (a route's `continueOnFailure`): an upstream that fails after the first byte is
 * asked, in its own wire format, to go on from the text already sent, and every client dialect gets one
 * uninterrupted answer. The fake upstream's `continue` mode refuses (400) any continuation that does not
 * carry exactly the partial text, so a seam that lost or doubled text fails the test.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ContinuationMethod } from '@sluice/protocol';
import type { ContinuePolicy } from '../../packages/server/src/pipeline/route-model.ts';
import type { Flavour, RecordedRequest, Scenario } from '../support/fake-provider/index.ts';
import { anthropicMessagesReader, dialectReaders, sluiceReader } from '../support/dialect-readers.ts';
import { startHarness, upstreamSecret, type Harness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';

const answer = 'The tide comes in twice a day, because the Moon pulls the sea — 조수 — towards it.';
const continueOnFailure: ContinuePolicy = { on: ['connection', 'timeout', 'upstream_error'], max: 2 };

interface Upstream {
  name: string;
  type: 'openai-chat' | 'openai-responses' | 'anthropic-messages';
  flavour?: Flavour;
  continuation: ContinuationMethod;
}

const upstreams: Upstream[] = [
  { name: 'OpenAI Chat', type: 'openai-chat', flavour: 'openai', continuation: 'instruction' },
  { name: 'vLLM', type: 'openai-chat', flavour: 'vllm', continuation: 'continue-final-message' },
  { name: 'llama.cpp server', type: 'openai-chat', flavour: 'llamacpp', continuation: 'prefill' },
  { name: 'Ollama', type: 'openai-chat', flavour: 'ollama', continuation: 'prefill' },
  { name: 'OpenAI Responses', type: 'openai-responses', continuation: 'instruction' },
  { name: 'Anthropic Messages', type: 'anthropic-messages', continuation: 'prefill' },
];

function startContinuing(upstream: Upstream, settings: Record<string, unknown> = {}): Promise<Harness> {
  return startHarness((fake) => ({
    providers: { up: { type: upstream.type, baseUrl: fake.url, apiKey: upstreamSecret, continuation: upstream.continuation } },
    routes: { '*': { provider: 'up', continueOnFailure } },
    ...settings,
  }));
}

/** The first request fails as `fault` says; every later one is a continuation checked by the fake. */
function failOnce(flavour: Flavour | undefined, fault: Scenario['fault'], extra: Scenario = {}): (request: RecordedRequest) => Scenario {
  let served = 0;
  return () => (served++ === 0 ? { text: answer, flavour, fault, usage: false, ...extra } : { text: answer, flavour, continue: true, ...extra });
}

for (const upstream of upstreams) {
  describe(`continuation from ${upstream.name} (${upstream.continuation})`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startContinuing(upstream);
    });
    after(() => harness.close());

    for (const reader of dialectReaders) {
      test(`to ${reader.name}: a connection cut mid-answer still gives the whole answer once`, async () => {
        harness.fake.setScenario(failOnce(upstream.flavour, { afterTokens: 5, kind: 'cut' }));
        const stream = await readStream(`${harness.sluice.url}${reader.path}`, { body: reader.body('Why are there tides?') });
        const summary = reader.summarize(stream.messages, stream);
        assert.equal(summary.ending, 'done');
        assert.equal(summary.text, answer);
      });
    }

    test('the continuation carried the partial text the upstream way, and the log line counts it', async () => {
      const firstRequest = harness.fake.requests.length;
      harness.fake.setScenario(failOnce(upstream.flavour, { afterTokens: 4, kind: 'cut' }));
      const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: sluiceReader.body('Why are there tides?') });
      const continuation = harness.fake.requests[firstRequest + 1]!;
      const messages: any[] = upstream.type === 'openai-responses' ? continuation.body.input : continuation.body.messages;
      const partial = 'The tide comes in ';
      switch (upstream.continuation) {
        case 'instruction':
          assert.equal(messages.at(-2).content, partial);
          assert.equal(messages.at(-1).role, 'user');
          break;
        case 'continue-final-message':
          assert.equal(messages.at(-1).content, partial);
          assert.equal(continuation.body.continue_final_message, true);
          assert.equal(continuation.body.add_generation_prompt, false);
          break;
        case 'prefill': {
          const content = messages.at(-1).content;
          const text = typeof content === 'string' ? content : content.map((block: { text: string }) => block.text).join('');
          // Anthropic refuses a final assistant turn ending in whitespace: the prefill goes without it.
          assert.equal(text, upstream.type === 'anthropic-messages' ? partial.trimEnd() : partial);
          break;
        }
      }
      const continued = stream.messages.find((message) => message.event === 'continued');
      assert.ok(continued, 'a continued event marks the seam');
      assert.deepEqual(JSON.parse(continued.data), { type: 'continued', attempt: 2, trigger: 'connection', method: upstream.continuation });
      const meta = JSON.parse(stream.messages[0]!.data);
      assert.equal(meta.continuation, upstream.continuation === 'instruction' ? 'instruction' : 'exact');
      const sequences = stream.messages.map((message) => Number(message.id!.split(':')[1]));
      assert.deepEqual(sequences, sequences.map((_, index) => index), 'event ids go on with no gap');
      const line = await harness.waitForLog((record) => record.msg === 'stream ended' && record.stream_id === meta.stream_id);
      assert.equal(line.continuations, 1);
      assert.equal(line.outcome, 'completed');
    });
  });
}

describe('continuation: triggers, limits, tool calls and usage', () => {
  const openai = upstreams[0]!;
  const anthropic = upstreams[5]!;
  let harness: Harness;
  before(async () => {
    harness = await startContinuing(anthropic, { idleTimeoutMs: 300 });
  });
  after(() => harness.close());

  const ask = async () => {
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: sluiceReader.body('Why are there tides?') });
    return { stream, summary: sluiceReader.summarize(stream.messages, stream), events: stream.messages.map((message) => JSON.parse(message.data)) };
  };

  test('an upstream that goes quiet past the idle timeout is continued (timeout)', async () => {
    harness.fake.setScenario(failOnce(undefined, { afterTokens: 3, kind: 'hang' }));
    const { summary, events } = await ask();
    assert.equal(summary.text, answer);
    assert.equal(events.find((event) => event.type === 'continued')?.trigger, 'timeout');
  });

  test('an error event mid-stream is continued (upstream_error)', async () => {
    harness.fake.setScenario(failOnce(undefined, { afterTokens: 6, kind: 'error-event' }));
    const { summary, events } = await ask();
    assert.equal(summary.text, answer);
    assert.equal(events.find((event) => event.type === 'continued')?.trigger, 'upstream_error');
  });

  test('a failure inside the reasoning restarts the answer, whose new reasoning is not sent again', async () => {
    const reasoning = 'The user asks about tides; the Moon is the main cause.';
    harness.fake.setScenario(failOnce(undefined, { afterTokens: 3, kind: 'cut' }, { reasoning }));
    const stream = await readStream(`${harness.sluice.url}/v1/messages`, { body: anthropicMessagesReader.body('Why are there tides?') });
    assert.equal(anthropicMessagesReader.summarize(stream.messages, stream).text, answer);
    const thinking = stream.messages
      .map((message) => JSON.parse(message.data))
      .filter((event) => event.type === 'content_block_delta' && event.delta.type === 'thinking_delta')
      .map((event) => event.delta.thinking)
      .join('');
    assert.equal(thinking, 'The user asks ', 'the cut reasoning, not followed by the continuation\'s own');
  });

  test('usage adds up both attempts, the failed one estimated', async () => {
    let served = 0;
    harness.fake.setScenario(() =>
      served++ === 0
        ? { text: answer, fault: { afterTokens: 5, kind: 'cut' } }
        : { text: answer, continue: true, usage: { prompt_tokens: 40, completion_tokens: 12 } },
    );
    const { summary, events } = await ask();
    assert.equal(summary.text, answer);
    const usage = events.filter((event) => event.type === 'usage').at(-1);
    assert.equal(usage.estimated, true);
    assert.ok(usage.prompt_tokens > 40, `both prompts are counted, got ${usage.prompt_tokens}`);
    assert.ok(usage.completion_tokens > 12, `both answers are counted, got ${usage.completion_tokens}`);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  test('a tool call cut in the middle is restarted under a new index, and the client is told', async () => {
    const toolCalls = [{ id: 'call_1', name: 'lookup_tides', arguments: '{"harbour":"Bergen","days":3}' }];
    let served = 0;
    harness.fake.setScenario(() =>
      served++ === 0
        ? { text: 'Checking.', toolCalls, fault: { afterTokens: 3, kind: 'cut' } }
        : { text: 'Checking.', toolCalls: [{ ...toolCalls[0]!, id: 'call_2' }], continue: true },
    );
    const { summary, events } = await ask();
    assert.equal(summary.text, 'Checking.');
    const continued = events.find((event) => event.type === 'continued');
    assert.deepEqual(continued.restarted_tool_calls, [0]);
    const afterSeam = events.slice(events.indexOf(continued)).filter((event) => event.type === 'tool_call');
    assert.ok(afterSeam.length > 0 && afterSeam.every((event) => event.index === 1), 'the restarted call takes the next index');
    assert.equal(afterSeam.map((event) => event.arguments_delta).join(''), toolCalls[0]!.arguments);
    assert.equal(summary.finishReason, 'tool_calls');
  });

  test('after `max` continuations the next failure ends the stream with its error', async () => {
    const first = harness.fake.requests.length;
    harness.fake.setScenario((request) => ({ text: answer, continue: harness.fake.requests.indexOf(request) > first, fault: { afterTokens: 2, kind: 'cut' } }));
    const { summary, events } = await ask();
    assert.equal(summary.ending, 'error');
    assert.equal(events.filter((event) => event.type === 'continued').length, 2);
    assert.equal(harness.fake.requests.length - first, 3, 'the first attempt and two continuations');
    // Each Anthropic continuation re-sends the whitespace its prefill left out as its first token, then one word.
    assert.equal(summary.text, 'The tide comes in ', 'what was sent is one answer, without repeats');
  });

  test('a route without continueOnFailure is not continued', async () => {
    const plain = await startHarness((fake) => ({ providers: { up: { type: 'openai-chat', baseUrl: fake.url, apiKey: upstreamSecret } }, routes: { '*': { provider: 'up' } } }));
    try {
      plain.fake.setScenario(failOnce(openai.flavour, { afterTokens: 3, kind: 'cut' }));
      const stream = await readStream(`${plain.sluice.url}/v1/chat/stream`, { body: sluiceReader.body('Why are there tides?') });
      const summary = sluiceReader.summarize(stream.messages, stream);
      assert.equal(summary.ending, 'error');
      assert.equal(plain.fake.requests.length, 1);
      assert.equal(JSON.parse(stream.messages[0]!.data).continuation, undefined);
    } finally {
      await plain.close();
    }
  });
});
