/**
 * OpenAI Responses background mode through the official `openai` SDK: `background: true` returns at
 * once and the answer generates with nobody reading; `responses.retrieve(id)` polls it,
 * `responses.retrieve(id, { stream: true, starting_after })` streams the events after N with the same
 * sequence numbers, `responses.cancel(id)` stops it and keeps the partial answer readable. With Redis,
 * every call works on an instance other than the one generating.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startHarness, upstreamSecret, type Harness } from '../support/sluice-harness.ts';
import { startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { longText } from '../resume/resume-checks.ts';

let redis: TemporaryRedis;
let harness: Harness;
let other: SluiceInstance;
let here: OpenAI;
let there: OpenAI;

const clientFor = (url: string) => new OpenAI({ apiKey: upstreamSecret, baseURL: `${url}/v1`, maxRetries: 0, logLevel: 'off' });

before(async () => {
  redis = await startRedis();
  harness = await startHarness({ redisUrl: redis.url }, { upstream: 'openai-chat' });
  other = await startSluice({ port: 0, host: '127.0.0.1', logLevel: 'silent', redisUrl: redis.url, openaiBaseUrl: harness.fake.url, openaiApiKey: upstreamSecret });
  here = clientFor(harness.sluice.url);
  there = clientFor(other.url);
});
after(async () => {
  await other?.close();
  await harness?.close();
  await redis?.stop();
});

async function pollUntilDone(client: OpenAI, id: string): Promise<OpenAI.Responses.Response> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const current = await client.responses.retrieve(id);
    if (current.status !== 'in_progress' && current.status !== 'queued') return current;
    await sleep(10);
  }
  throw new Error(`response ${id} did not finish`);
}

describe('Responses background mode', () => {
  test('background: true returns at once; polling on another instance gets the whole answer', async () => {
    const text = longText(40);
    harness.fake.setScenario({ text, tokenIntervalMs: 5 });
    const created = await here.responses.create({ model: 'gpt-test', input: 'tides', background: true });
    assert.equal(created.status, 'in_progress');
    assert.equal(created.background, true);
    assert.match(created.id, /^resp_/);
    const early = await there.responses.retrieve(created.id);
    assert.equal(early.status, 'in_progress');
    const done = await pollUntilDone(there, created.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.output_text, text);
  });

  test('a background stream cut after N events resumes with starting_after=N, on any instance, exactly', async () => {
    const text = longText(60);
    harness.fake.setScenario({ text, tokenIntervalMs: 5 });
    const first = await here.responses.create({ model: 'gpt-test', input: 'tides', background: true, stream: true });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    let id = '';
    for await (const event of first) {
      seen.push(event);
      if (event.type === 'response.created') id = event.response.id;
      if (seen.length === 12) break;
    }
    const lastSeen = seen.at(-1)!.sequence_number;
    const rest = await there.responses.retrieve(id, { stream: true, starting_after: lastSeen });
    for await (const event of rest) seen.push(event);
    assert.deepEqual(
      seen.map((event) => event.sequence_number),
      seen.map((_, index) => index),
      'every event once, in order',
    );
    const deltas = seen.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta);
    assert.equal(deltas.join(''), text);
    assert.equal(seen.at(-1)!.type, 'response.completed');
  });

  test('cancel stops the generation at once and keeps the partial answer readable', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const requestsBefore = harness.fake.requests.length;
    const created = await here.responses.create({ model: 'gpt-test', input: 'tides', background: true });
    const upstream = await harness.fake.waitForRequest(requestsBefore);
    await sleep(60);
    const cancelled = await there.responses.cancel(created.id);
    assert.equal(cancelled.status, 'cancelled');
    await upstream.socketClosed;
    const later = await here.responses.retrieve(created.id);
    assert.equal(later.status, 'cancelled');
    assert.ok(later.output_text.length > 0, 'the partial answer is still there');
    // The SDK adds `output_text` to what create and retrieve return, not to cancel's answer: read its items.
    const cancelledText = cancelled.output.flatMap((item) => (item.type === 'message' ? item.content : [])).map((part) => (part.type === 'output_text' ? part.text : '')).join('');
    assert.equal(later.output_text, cancelledText);
  });

  test('an unknown id is a 404, a bad starting_after a 400 naming it', async () => {
    await assert.rejects(here.responses.retrieve('resp_nosuchstream1'), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(here.responses.retrieve('not-a-response'), (error: unknown) => error instanceof OpenAI.NotFoundError);
    harness.fake.setScenario({ text: 'short' });
    const created = await here.responses.create({ model: 'gpt-test', input: 'tides', background: true });
    const response = await fetch(`${harness.sluice.url}/v1/responses/${created.id}?stream=true&starting_after=-3`);
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.param, 'starting_after');
  });
});
