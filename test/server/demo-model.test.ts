/** With no API key, the built-in demo model answers, and says so wherever it shows. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { sluiceReader } from '../support/dialect-readers.ts';
import { readStream } from '../support/sse-client.ts';
import { spawnSluice } from '../support/sluice-process.ts';

let sluice: SluiceInstance;
before(async () => {
  sluice = await startSluice({ port: 0, logLevel: 'silent', demoTokensPerSecond: 2000, demoFirstTokenDelayMs: 10 });
});
after(() => sluice.close());

test('the demo answers any model, labelled sluice-demo in the meta event', async () => {
  assert.equal(sluice.demoMode, true);
  const stream = await readStream(`${sluice.url}/v1/chat/stream`, { body: { prompt: 'What is Sluice?', model: 'gpt-4o' } });
  const meta = JSON.parse(stream.messages[0]?.data ?? '{}');
  assert.equal(meta.model, 'sluice-demo');
  assert.equal(meta.demo, true);
  const summary = sluiceReader.summarize(stream.messages);
  assert.equal(summary.ending, 'done');
  assert.match(summary.text, /sluice-demo/);
  assert.match(summary.text, /What is Sluice\?/);
});

test('the same prompt gives the same answer; multi-byte text included somewhere', async () => {
  const answer = async (prompt: string): Promise<string> =>
    sluiceReader.summarize((await readStream(`${sluice.url}/v1/chat/stream?prompt=${encodeURIComponent(prompt)}`)).messages).text;
  assert.equal(await answer('hello'), await answer('hello'));
  const answers = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(answer));
  assert.ok(answers.some((text) => /[가-힣]/.test(text) && /\p{Extended_Pictographic}/u.test(text)));
});

test('the OpenAI-compatible endpoint names the demo model too', async () => {
  const response = await fetch(`${sluice.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = await response.json();
  assert.equal(body.model, 'sluice-demo');
  assert.match(body.choices[0].message.content, /sluice-demo/);
});

test('at its default pace the demo thinks a moment, then streams tens of tokens a second, and the startup line says DEMO', async () => {
  const process = await spawnSluice({});
  try {
    assert.match(String(process.logs[0]?.msg), /DEMO MODE.*sluice-demo/);
    const startedAt = performance.now();
    const stream = await readStream(`${process.url}/v1/chat/stream?prompt=pace`);
    const elapsedMs = performance.now() - startedAt;
    const tokens = stream.messages.filter((message) => message.event === 'token').length;
    const tokensPerSecond = tokens / (elapsedMs / 1000);
    assert.ok(tokensPerSecond > 10 && tokensPerSecond < 100, `${tokensPerSecond.toFixed(1)} tokens/s`);
  } finally {
    await process.stop();
  }
});

test('no demo answer repeats a paragraph', async () => {
  const { composeDemoAnswer } = await import('../../packages/server/src/providers/demo/demo-text.ts');
  for (let index = 0; index < 200; index += 1) {
    const paragraphs = composeDemoAnswer(`prompt ${index}`).split('\n\n');
    assert.equal(new Set(paragraphs).size, paragraphs.length, `prompt ${index}`);
  }
});
