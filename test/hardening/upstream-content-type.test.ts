/**
 * An upstream that answers a stream request with something other than an event stream (a whole JSON
 * completion, an HTML error page) is a typed error for that one request, and never ends the process.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';
import { readStream } from '../support/sse-client.ts';

let fake: FakeProvider;
let sluice: SluiceProcess;
before(async () => {
  fake = await startFakeProvider();
  sluice = await spawnSluice({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-content-type' });
});
after(async () => {
  await sluice.stop();
  await fake.close();
});

const chat = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };
const requests = [
  ['/v1/chat/stream', { prompt: 'hi' }],
  ['/v1/chat/completions', { ...chat, stream: true }],
  ['/v1/chat/completions', chat],
  ['/v1/messages', { ...chat, max_tokens: 16, stream: true }],
  ['/v1/responses', { model: 'gpt-test', input: 'hi', stream: true }],
] as const;

for (const [name, scenario] of [
  ['a whole JSON completion', { completeWhenStreaming: true }],
  ['an HTML page', { streamContentType: 'text/html; charset=utf-8' }],
  ['no content type at all', { streamContentType: '' }],
] as const) {
  test(`an upstream answering a stream request with ${name} is a 502 upstream_error, and the process lives on`, async () => {
    // A stream in flight on a healthy upstream must survive the bad answers around it.
    fake.setScenario((request) => (request.body?.messages?.[0]?.content === 'keep going' ? { text: 'a b c d e f', tokenIntervalMs: 40 } : scenario));
    const survivor = readStream(`${sluice.url}/v1/chat/stream`, { body: { prompt: 'keep going' } });
    for (const [path, body] of requests) {
      const response = await fetch(`${sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      assert.equal(response.status, 502, `${path}: ${text}`);
      assert.match(text, /instead of an event stream/, path);
    }
    const finished = await survivor;
    assert.equal(finished.messages.at(-1)?.event, 'done');
    assert.equal(JSON.parse(finished.messages.at(-1)!.data).finish_reason, 'stop');
    const health = await fetch(`${sluice.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(sluice.child.exitCode, null, sluice.stderr());
  });
}

test('an error body far larger than Sluice reads of it is closed without ending the process', async () => {
  fake.setScenario({ status: 500, errorBody: { error: { message: 'x'.repeat(1_048_576) } } });
  const response = await fetch(`${sluice.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
  assert.equal(response.status, 502);
  await response.text();
  assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200);
  assert.equal(sluice.child.exitCode, null, sluice.stderr());
});
