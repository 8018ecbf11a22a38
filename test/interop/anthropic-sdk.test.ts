/**
 * The official `@anthropic-ai/sdk` client, unchanged but for its base URL, against every upstream Sluice
 * speaks: the messages stream and its accumulated message, tool use both ways, whole messages, and
 * errors raised as the SDK's own error types.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, upstreamKinds, type Harness } from '../support/sluice-harness.ts';

const tools: Anthropic.Tool[] = [
  { name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
];

for (const upstream of upstreamKinds) {
  describe(`anthropic client from ${upstream}`, () => {
    let harness: Harness;
    let client: Anthropic;
    before(async () => {
      harness = await startHarness({}, { upstream });
      client = new Anthropic({ apiKey: 'client-key', baseURL: harness.sluice.url, maxRetries: 0, logLevel: 'off' });
    });
    after(() => harness.close());

    test('messages.stream: text events and the final message with tool use, stop reason and usage', async () => {
      harness.fake.setScenario({
        text: 'Let me check 서울.',
        toolCalls: [
          { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"서울"}' },
          { id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Busan"}' },
        ],
        usage: { prompt_tokens: 40, completion_tokens: 12 },
      });
      const stream = client.messages.stream({ model: 'claude-test', max_tokens: 512, messages: [{ role: 'user', content: 'Weather in Seoul and Busan?' }], tools });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const message = await stream.finalMessage();
      assert.equal(text, 'Let me check 서울.');
      assert.equal(message.stop_reason, 'tool_use');
      assert.deepEqual(
        message.content.map((block) => (block.type === 'tool_use' ? [block.id, block.name, block.input] : [block.type])),
        [['text'], ['toolu_1', 'get_weather', { city: '서울' }], ['toolu_2', 'get_weather', { city: 'Busan' }]],
      );
      assert.deepEqual([message.usage.input_tokens, message.usage.output_tokens], [40, 12]);
    });

    test('a tool_result goes back upstream, with the system prompt, in the upstream’s own format', async () => {
      harness.fake.setScenario({ text: 'It is 21°C in Seoul.' });
      const before = harness.fake.requests.length;
      const message = await client.messages.create({
        model: 'claude-test',
        max_tokens: 512,
        system: 'Answer in one sentence.',
        tools,
        messages: [
          { role: 'user', content: 'Weather in Seoul?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Seoul' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21°C, clear' }] },
        ],
      });
      assert.deepEqual(message.content, [{ type: 'text', text: 'It is 21°C in Seoul.' }]);
      assert.equal(message.stop_reason, 'end_turn');
      const serialized = JSON.stringify(harness.fake.requests[before]?.body);
      for (const expected of ['toolu_1', '21°C, clear', 'Answer in one sentence.']) assert.ok(serialized.includes(expected), serialized);
    });

    test('an upstream failure mid-stream is the SDK’s APIError, never a final message', async () => {
      harness.fake.setScenario({ text: 'a b c d', fault: { afterTokens: 2, kind: 'error-event' } });
      const stream = client.messages.stream({ model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      await assert.rejects(stream.finalMessage(), (error: unknown) => {
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.equal((error.error as { type?: string }).type, 'error');
        return true;
      });
    });
  });
}

describe('anthropic client: errors before the first byte', () => {
  let harness: Harness;
  let client: Anthropic;
  before(async () => {
    harness = await startHarness({}, { upstream: 'anthropic-messages' });
    client = new Anthropic({ apiKey: 'client-key', baseURL: harness.sluice.url, maxRetries: 0, logLevel: 'off' });
  });
  after(() => harness.close());

  test('an upstream 529 is the SDK’s overloaded error status with Anthropic’s error body', async () => {
    harness.fake.setScenario({ status: 529 });
    await assert.rejects(client.messages.create({ model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 503);
      assert.equal((error.error as { error?: { type?: string } }).error?.type, 'overloaded_error');
      return true;
    });
  });

  test('a request without max_tokens is a BadRequestError in Anthropic’s shape, naming the field', async () => {
    const response = await fetch(`${harness.sluice.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /"max_tokens"/);
    await assert.rejects(
      client.messages.create({ model: 'claude-test', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] }),
      Anthropic.BadRequestError,
    );
  });
});
