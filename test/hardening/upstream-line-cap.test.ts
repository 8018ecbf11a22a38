/**
 * An upstream line or event that never ends is cut at SLUICE_MAX_UPSTREAM_EVENT_BYTES: the stream ends in
 * `upstream_error` at once (not at the first-token timeout), the upstream connection is closed, and the
 * process's memory stays near where it was.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';
import { readStream } from '../support/sse-client.ts';

const mebibyte = 1_048_576;
const lineBytes = 256 * mebibyte;

let fake: FakeProvider;
let sluice: SluiceProcess;
before(async () => {
  fake = await startFakeProvider();
  sluice = await spawnSluice({
    OPENAI_BASE_URL: fake.url,
    ANTHROPIC_BASE_URL: fake.url,
    SLUICE_PROVIDERS: JSON.stringify({ responses: { type: 'openai-responses', baseUrl: fake.url } }),
    SLUICE_ROUTES: JSON.stringify({ 'responses-*': { provider: 'responses' } }),
    SLUICE_MAX_UPSTREAM_EVENT_BYTES: String(2 * mebibyte),
  });
});
after(async () => {
  await sluice.stop();
  await fake.close();
});

for (const [upstream, model] of [
  ['openai-chat', 'gpt-test'],
  ['anthropic-messages', 'claude-test'],
  ['openai-responses', 'responses-test'],
] as const) {
  test(`${upstream}: a ${lineBytes / mebibyte} MiB data: line that never ends is an upstream_error within a second, in bounded memory`, async () => {
    fake.setScenario({ fault: { afterTokens: 1, kind: 'endless-line', bytes: lineBytes } });
    const rssBefore = sluice.rssBytes();
    const startedAt = performance.now();
    const stream = await readStream(`${sluice.url}/v1/chat/stream`, { body: { prompt: 'hi', model } });
    const elapsedMs = performance.now() - startedAt;
    const error = stream.messages.find((message) => message.event === 'error');
    assert.ok(error, stream.raw());
    assert.equal(JSON.parse(error.data).code, 'upstream_error');
    assert.match(JSON.parse(error.data).message, /longer than the limit of 2097152 characters/);
    assert.equal(stream.messages.at(-1)?.event, 'done');
    assert.ok(elapsedMs < 1000, `took ${elapsedMs} ms`);
    const request = fake.requests.at(-1)!;
    await request.socketClosed;
    const growthMiB = (sluice.rssBytes() - rssBefore) / mebibyte;
    assert.ok(growthMiB < 40, `RSS grew by ${growthMiB.toFixed(1)} MiB`);
  });
}
