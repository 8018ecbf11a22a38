/**
 * What Sluice says about itself: its own added time per request (a header on JSON answers, an HTTP
 * trailer on streams, the log line and a histogram), metrics labelled by model and provider without
 * letting clients invent series, and `GET /v1/models` for `client.models.list()`.
 */

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startHarness, upstreamSecret, type Harness } from '../support/sluice-harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness((fake) => ({
    models: { fast: 'gpt-4o-mini' },
    providers: { local: { type: 'openai-chat', baseUrl: fake.url } },
    routes: { 'llama-3': { provider: 'local' }, 'mistral-*': { provider: 'local' } },
  }));
});
after(() => harness.close());

/** POSTs a streaming chat completion with node:http, which exposes trailers once the body has ended. */
function streamWithTrailers(body: unknown, headers: Record<string, string> = { te: 'trailers' }): Promise<{ headers: Record<string, unknown>; trailers: Record<string, string | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${harness.sluice.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ headers: response.headers, trailers: response.trailers, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

describe('overhead, labels and models', () => {
  test('a client that reads trailers (TE: trailers) gets x-sluice-overhead-ms as a trailer after the body; others get none', async () => {
    harness.fake.setScenario({ text: 'one two three', tokenIntervalMs: 20 });
    const { headers, trailers, text } = await streamWithTrailers({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(headers.trailer, 'x-sluice-overhead-ms');
    assert.ok(text.includes('[DONE]'));
    const overhead = Number(trailers['x-sluice-overhead-ms']);
    assert.ok(Number.isFinite(overhead) && overhead >= 0, `trailer ${trailers['x-sluice-overhead-ms']}`);
    assert.ok(overhead < 40, `overhead ${overhead} ms leaves out the 40 ms the upstream spent between tokens`);
    const plain = await streamWithTrailers({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] }, {});
    assert.equal(plain.headers.trailer, undefined);
    assert.equal(plain.trailers['x-sluice-overhead-ms'], undefined);
  });

  test('a JSON answer carries x-sluice-overhead-ms as a header, and the log line has it too', async () => {
    harness.fake.setScenario({ text: 'whole answer' });
    const response = await fetch(`${harness.sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200);
    const overhead = Number(response.headers.get('x-sluice-overhead-ms'));
    assert.ok(Number.isFinite(overhead) && overhead >= 0);
    const requestId = response.headers.get('x-request-id');
    const line = await harness.waitForLog((record) => record.msg === 'stream ended' && record.request_id === requestId);
    assert.equal(typeof line.overhead_ms, 'number');
  });

  test('stream metrics carry model and provider; names no route knows count as "other"', async () => {
    harness.fake.setScenario({ text: 'hi' });
    for (const model of ['fast', 'llama-3', 'mistral-large', 'made-up-name-12345']) {
      const response = await fetch(`${harness.sluice.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await response.arrayBuffer();
    }
    const metrics = await (await fetch(`${harness.sluice.url}/metrics`)).text();
    assert.match(metrics, /sluice_streams_total\{route="\/v1\/chat\/completions",outcome="completed",model="fast",provider="openai"\} 1/);
    assert.match(metrics, /sluice_streams_total\{[^}]*model="llama-3",provider="local"\}/);
    assert.match(metrics, /sluice_streams_total\{[^}]*model="mistral-\*",provider="local"\}/);
    assert.match(metrics, /sluice_streams_total\{[^}]*model="other",provider="openai"\}/);
    assert.doesNotMatch(metrics, /made-up-name-12345/);
    assert.match(metrics, /sluice_overhead_seconds_count\{route="\/v1\/chat\/completions"\} \d+/);
    assert.match(metrics, /sluice_overhead_seconds_bucket\{le="0.001",route="\/v1\/chat\/completions"\}/);
  });

  test('client.models.list() lists the routed models', async () => {
    const client = new OpenAI({ apiKey: upstreamSecret, baseURL: `${harness.sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const byId = new Map(models.map((model) => [model.id, model]));
    assert.deepEqual([...byId.keys()].sort(), ['fast', 'gpt-4o-mini', 'llama-3', 'sluice-demo']);
    assert.equal(byId.get('llama-3')!.owned_by, 'local');
    assert.equal(byId.get('fast')!.owned_by, 'openai');
    assert.equal(byId.get('sluice-demo')!.object, 'model');
  });
});
