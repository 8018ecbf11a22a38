/**
 * The Vercel AI SDK against Sluice, unchanged but for URLs: `streamText` through
 * `@ai-sdk/openai-compatible` on `/v1/chat/completions`, and the UI message stream on
 * `/v1/ui-message-stream` read by the `ai` package's own transport and reader, and by the `Chat` that
 * `useChat` from `@ai-sdk/react` wraps.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { Chat } from '@ai-sdk/react';
import { DefaultChatTransport, jsonSchema, readUIMessageStream, streamText, tool, type UIMessage } from 'ai';
import { startHarness, upstreamKinds, type Harness } from '../support/sluice-harness.ts';

const getWeather = tool({ description: 'Current weather', inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }) });

for (const upstream of upstreamKinds) {
  describe(`ai sdk from ${upstream}`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startHarness({}, { upstream });
    });
    after(() => harness.close());

    test('streamText through @ai-sdk/openai-compatible: text, a tool call, finish reason and usage', async () => {
      harness.fake.setScenario({ text: 'Checking Oslo ❄.', toolCalls: [{ id: 'call_1', name: 'getWeather', arguments: '{"city":"Oslo"}' }], usage: { prompt_tokens: 25, completion_tokens: 11 } });
      const provider = createOpenAICompatible({ name: 'sluice', baseURL: `${harness.sluice.url}/v1`, apiKey: 'client-key', includeUsage: true });
      const result = streamText({ model: provider('gpt-test'), prompt: 'Weather in Oslo?', tools: { getWeather }, maxRetries: 0 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      assert.equal(text, 'Checking Oslo ❄.');
      const toolCalls = await result.toolCalls;
      assert.deepEqual(
        toolCalls.map((call) => [call.toolCallId, call.toolName, call.input]),
        [['call_1', 'getWeather', { city: 'Oslo' }]],
      );
      assert.equal(await result.finishReason, 'tool-calls');
      const usage = await result.usage;
      assert.deepEqual([usage.inputTokens, usage.outputTokens], [25, 11]);
    });

    test('the UI message stream, read by the ai package’s transport and readUIMessageStream', async () => {
      harness.fake.setScenario({ text: 'Here is the forecast.', toolCalls: [{ id: 'call_9', name: 'getWeather', arguments: '{"city":"Lima"}' }] });
      const response = await fetch(`${harness.sluice.url}/v1/ui-message-stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }),
      });
      assert.equal(response.headers.get('x-vercel-ai-ui-message-stream'), 'v1');
      await response.body?.cancel();

      const transport = new DefaultChatTransport({ api: `${harness.sluice.url}/v1/ui-message-stream`, body: { model: 'gpt-test' } });
      const chunks = await transport.sendMessages({
        chatId: 'chat-1',
        messageId: undefined,
        trigger: 'submit-message',
        abortSignal: undefined,
        messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Forecast for Lima?' }] }],
      });
      let message: UIMessage | undefined;
      for await (const snapshot of readUIMessageStream({ stream: chunks, terminateOnError: true })) message = snapshot;
      assert.equal(message?.role, 'assistant');
      // Through JSON: the SDK spells absent fields as undefined properties.
      const parts = JSON.parse(JSON.stringify(message?.parts.filter((part) => part.type !== 'step-start')));
      assert.deepEqual(parts, [
        { type: 'text', text: 'Here is the forecast.', state: 'done' },
        { type: 'tool-getWeather', toolCallId: 'call_9', state: 'input-available', input: { city: 'Lima' } },
      ]);
    });

    test('useChat’s Chat: a conversation with a tool answered by the client, then a failure shown as its error', async () => {
      const chat = new Chat({ transport: new DefaultChatTransport({ api: `${harness.sluice.url}/v1/ui-message-stream` }) });
      harness.fake.setScenario({ tokens: [], toolCalls: [{ id: 'call_2', name: 'getWeather', arguments: '{"city":"Quito"}' }] });
      await chat.sendMessage({ text: 'Weather in Quito?' });
      assert.equal(chat.status, 'ready');
      chat.addToolOutput({ tool: 'getWeather', toolCallId: 'call_2', output: { celsius: 14 } });
      harness.fake.setScenario({ text: 'Quito is 14°C.' });
      const before = harness.fake.requests.length;
      await chat.sendMessage();
      assert.equal(chat.messages.at(-1)?.parts.findLast((part) => part.type === 'text')?.text, 'Quito is 14°C.');
      // The tool's output reached the upstream as the result of call_2, in the upstream's own format.
      const sent = JSON.stringify(harness.fake.requests[before]?.body);
      assert.ok(sent.includes('call_2') && sent.includes('celsius'), sent);

      harness.fake.setScenario({ text: 'a b c d', fault: { afterTokens: 2, kind: 'error-event' } });
      await chat.sendMessage({ text: 'And tomorrow?' });
      assert.equal(chat.status, 'error');
      assert.match(chat.error?.message ?? '', /Upstream error/);
    });
  });
}
