/** SIGTERM: readiness 503, no new connections, streams get the drain period, then `shutting_down`, exit 0. */

import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, test } from 'node:test';
import { sluiceReader } from '../support/dialect-readers.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { eventually } from '../support/sluice-harness.ts';
import { openStream } from '../support/sse-client.ts';
import { spawnSluice } from '../support/sluice-process.ts';

let fake: FakeProvider;
before(async () => {
  fake = await startFakeProvider();
});
after(() => fake.close());

function getStatus(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

test('SIGTERM drains: a short stream finishes, a long one ends with shutting_down, the process exits 0', async () => {
  const sluice = await spawnSluice({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', SLUICE_DRAIN_MS: '600' });
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.equal(await getStatus(`${sluice.url}/readyz`, keepAlive), 200);
    fake.setScenario((upstreamRequest) =>
      upstreamRequest.body.messages[0].content === 'short' ? { text: 'a b c d e f', tokenIntervalMs: 50 } : { infinite: true, tokenIntervalMs: 20 },
    );
    const short = await openStream(`${sluice.url}/v1/chat/stream`, { body: { prompt: 'short' } });
    const long = await openStream(`${sluice.url}/v1/chat/stream`, { body: { prompt: 'long' } });
    await eventually(() => long.messages.length > 2, 'the long stream to start');
    sluice.child.kill('SIGTERM');
    await eventually(() => sluice.logs.some((line) => String(line.msg).startsWith('SIGTERM')), 'the drain to begin');

    assert.equal(await getStatus(`${sluice.url}/readyz`, keepAlive), 503, 'readiness turns 503 on a connection already open');
    await assert.rejects(fetch(`${sluice.url}/healthz`), 'new connections are refused');

    await short.ended;
    const shortSummary = sluiceReader.summarize(short.messages);
    assert.equal(shortSummary.ending, 'done');
    assert.equal(shortSummary.text, 'a b c d e f');

    await long.ended;
    const longSummary = sluiceReader.summarize(long.messages);
    assert.equal(longSummary.ending, 'error');
    assert.equal(longSummary.errorCode, 'shutting_down');
    assert.equal(await sluice.exited, 0);
    const ended = sluice.logs.find((line) => line.msg === 'stream ended' && line.outcome === 'shutting_down');
    assert.ok(ended, 'the cut stream is logged as shutting_down');
  } finally {
    keepAlive.destroy();
    await sluice.stop();
  }
});

test('SIGTERM with nothing in flight exits at once with 0', async () => {
  const sluice = await spawnSluice({ SLUICE_DRAIN_MS: '10000' });
  const startedAt = performance.now();
  sluice.child.kill('SIGTERM');
  assert.equal(await sluice.exited, 0);
  assert.ok(performance.now() - startedAt < 3000);
});
