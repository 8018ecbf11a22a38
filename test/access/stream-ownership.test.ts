/**
 * A resumable stream belongs to the key that started it: another key that resumes it (by URL, by
 * Last-Event-ID, or from its EventSource's stream token) or cancels it gets exactly the 404 of a stream
 * that does not exist, and the stream goes on for its owner.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { startAccessHarness, type AccessHarness, type CreatedKey } from './access-harness.ts';

let harness: AccessHarness;
let owner: CreatedKey;
let stranger: CreatedKey;

before(async () => {
  harness = await startAccessHarness();
  [owner, stranger] = await Promise.all([harness.createKey({ name: 'owner' }), harness.createKey({ name: 'stranger' })]);
});

after(() => harness?.close());

async function answer(path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${harness.sluice.url}${path}`, init);
  return { status: response.status, body: await response.text() };
}

test('another key resuming or cancelling is told the stream does not exist; the owner reads it to the end', async () => {
  harness.fake.setScenario({ text: Array.from({ length: 80 }, (_, index) => `t${index}`).join(' '), tokenIntervalMs: 5 });
  const first = await openStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'mine', resumable: true }, headers: { authorization: `Bearer ${owner.key}` } });
  await eventually(() => first.messages.length > 3, 'a few events');
  const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
  const lastEventId = first.messages.at(-1)!.id!;
  first.destroy();

  const strangerHeaders = { authorization: `Bearer ${stranger.key}` };
  const missing = 'AAAAAAAAAAAA';
  const resumeOther = await answer(`/v1/streams/${streamId}`, { headers: strangerHeaders });
  const resumeMissing = await answer(`/v1/streams/${missing}`, { headers: strangerHeaders });
  assert.equal(resumeOther.status, 404);
  assert.equal(resumeOther.body, resumeMissing.body.replaceAll(missing, streamId), 'the same answer as for a stream that does not exist');

  const byLastEventId = await answer('/v1/chat/stream', { method: 'POST', headers: { ...strangerHeaders, 'content-type': 'application/json', 'last-event-id': lastEventId }, body: '{}' });
  assert.equal(byLastEventId.status, 404);

  const { token } = (await (await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST', headers: strangerHeaders })).json()) as { token: string };
  assert.equal((await answer(`/v1/streams/${streamId}?stream_token=${token}`)).status, 404, "the stranger's EventSource token");

  const cancelOther = await answer(`/v1/streams/${streamId}`, { method: 'DELETE', headers: strangerHeaders });
  const cancelMissing = await answer(`/v1/streams/${missing}`, { method: 'DELETE', headers: strangerHeaders });
  assert.equal(cancelOther.status, 404);
  assert.equal(cancelOther.body, cancelMissing.body.replaceAll(missing, streamId));

  const rest = await readStream(`${harness.sluice.url}/v1/streams/${streamId}`, { headers: { 'x-api-key': owner.key, 'last-event-id': lastEventId } });
  assert.equal(rest.status, 200);
  const events = rest.messages.map((message) => JSON.parse(message.data) as { type: string; finish_reason?: string });
  assert.deepEqual(events.at(-1), { type: 'done', finish_reason: 'stop' }, 'the stranger did not stop it');
  const cancelFinished = await answer(`/v1/streams/${streamId}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner.key}` } });
  assert.equal(cancelFinished.status, 200);
  assert.match(cancelFinished.body, /"finished"/);
});

test("another key's background response and AI SDK chat stream are ones that do not exist; the owner's stay whole", async () => {
  harness.fake.setScenario({ text: Array.from({ length: 60 }, (_, index) => `b${index}`).join(' '), tokenIntervalMs: 5 });
  const ownerHeaders = { authorization: `Bearer ${owner.key}`, 'content-type': 'application/json' };
  const strangerHeaders = { authorization: `Bearer ${stranger.key}`, 'content-type': 'application/json' };

  const created = await fetch(`${harness.sluice.url}/v1/responses`, { method: 'POST', headers: ownerHeaders, body: JSON.stringify({ model: 'gpt-test', input: 'tides', background: true }) });
  assert.equal(created.status, 200);
  const { id } = (await created.json()) as { id: string };
  const missing = 'resp_AAAAAAAAAAAA';
  for (const [path, init] of [
    [`/v1/responses/${id}`, { headers: strangerHeaders }],
    [`/v1/responses/${id}?stream=true&starting_after=0`, { headers: strangerHeaders }],
    [`/v1/responses/${id}/cancel`, { method: 'POST', headers: strangerHeaders }],
  ] as const) {
    const other = await answer(path, init);
    const unknown = await answer(path.replace(id, missing), init);
    assert.equal(other.status, 404, path);
    assert.equal(other.body, unknown.body.replaceAll(missing, id), `${path}: the same answer as for a response that does not exist\n${other.body}\n${unknown.body}`);
  }
  let status = '';
  for (let polls = 0; polls < 100 && status !== 'completed' && status !== 'cancelled'; polls += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = ((await (await fetch(`${harness.sluice.url}/v1/responses/${id}`, { headers: ownerHeaders })).json()) as { status: string }).status;
  }
  assert.equal(status, 'completed', 'the owner polls it to completion: the stranger did not cancel it');

  const chat = { id: 'shared-chat-id', resumable: true, messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'tides' }] }] };
  const started = await openStream(`${harness.sluice.url}/v1/ui-message-stream`, { body: chat, headers: { authorization: `Bearer ${owner.key}` } });
  await eventually(() => started.messages.length > 3, 'a few chunks');
  started.destroy();
  assert.equal((await answer('/v1/ui-message-stream/shared-chat-id/stream', { headers: strangerHeaders })).status, 204, 'nothing of its own to resume');
  assert.equal((await answer('/v1/ui-message-stream/shared-chat-id/stream', { method: 'DELETE', headers: strangerHeaders })).status, 404);
  const resumed = await readStream(`${harness.sluice.url}/v1/ui-message-stream/shared-chat-id/stream`, { headers: { authorization: `Bearer ${owner.key}` } });
  assert.equal(resumed.status, 200);
  assert.equal(resumed.messages.at(-1)?.data, '[DONE]');
});
