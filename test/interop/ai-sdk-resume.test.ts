/**
 * The reconnect contract of the AI SDK's `DefaultChatTransport` on a resumable UI message stream:
 * `GET {api}/{chatId}/stream` replays the chat's unfinished answer or says 204; a disconnect keeps the
 * model generating for the grace period, a stop (`DELETE` on the same path) ends it at once and the
 * partial answer stays readable where it was.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DefaultChatTransport, readUIMessageStream, type UIMessage } from 'ai';
import { eventually, startHarness, type Harness } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { longText } from '../resume/resume-checks.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness({ resumeGraceMs: 5_000 });
});
after(() => harness.close());

const api = () => `${harness.sluice.url}/v1/ui-message-stream`;
const chatBody = (chatId: string) => ({ id: chatId, resumable: true, messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'tides' }] }] });

async function textOf(stream: ReadableStream): Promise<string> {
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return (last?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
}

describe('AI SDK resume', () => {
  test('reconnectToStream: 204 (null) when the chat has no unfinished stream', async () => {
    const transport = new DefaultChatTransport({ api: api() });
    assert.equal(await transport.reconnectToStream({ chatId: 'no-such-chat' }), null);
  });

  test('a disconnect keeps generating; reconnectToStream replays the whole answer from its start', async () => {
    const text = longText(60);
    harness.fake.setScenario({ text, tokenIntervalMs: 5 });
    const requestsBefore = harness.fake.requests.length;
    const first = await openStream(api(), { body: chatBody('chat-disconnect') });
    assert.equal(first.headers['x-vercel-ai-ui-message-stream'], 'v1');
    await eventually(() => first.messages.length > 10, 'some chunks');
    first.destroy();
    const transport = new DefaultChatTransport({ api: api() });
    const resumed = await transport.reconnectToStream({ chatId: 'chat-disconnect' });
    assert.ok(resumed, 'an unfinished stream to resume');
    assert.equal(await textOf(resumed), text);
    assert.equal(harness.fake.requests.length - requestsBefore, 1, 'one generation');
    assert.equal(await transport.reconnectToStream({ chatId: 'chat-disconnect' }), null, 'finished: nothing to resume');
  });

  test('a stop (DELETE) is not a disconnect: the model stops at once and the partial answer stays readable', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const requestsBefore = harness.fake.requests.length;
    const first = await openStream(api(), { body: chatBody('chat-stop') });
    const upstream = await harness.fake.waitForRequest(requestsBefore);
    await eventually(() => first.messages.length > 10, 'some chunks');
    const stoppedAt = performance.now();
    const response = await fetch(`${api()}/chat-stop/stream`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    const stopped = await response.json();
    assert.equal(stopped.status, 'cancelled');
    const closedAt = await upstream.socketClosed;
    assert.ok(closedAt - stoppedAt < 100, `the upstream closed ${Math.round(closedAt - stoppedAt)} ms after the stop`);
    await first.ended;
    const chunks = first.messages.map((message) => message.data);
    assert.ok(chunks.some((data) => data.includes('"type":"abort"')), 'the reader is told the stream was stopped');
    assert.ok(chunks.some((data) => data.includes('"type":"text-delta"')), 'with the partial answer it had');
    const kept = await readStream(`${harness.sluice.url}/v1/streams/${stopped.stream_id}`);
    const keptText = kept.messages.filter((message) => message.event === 'token').map((message) => JSON.parse(message.data).delta).join('');
    assert.ok(keptText.length > 0, 'the partial answer is readable by its stream id');
    assert.equal(JSON.parse(kept.messages.at(-1)!.data).finish_reason, 'cancelled');
    const again = await fetch(`${api()}/chat-stop/stream`, { method: 'DELETE' });
    assert.equal(again.status, 404, 'nothing left to stop');
  });

  test('a resumable chat stream needs a valid chat id', async () => {
    for (const id of [undefined, 'has spaces', 'x'.repeat(129)]) {
      const response = await fetch(api(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...chatBody('x'), id }) });
      assert.equal(response.status, 400, `id ${JSON.stringify(id)}`);
      assert.equal((await response.json()).error.param, 'id');
    }
  });
});
