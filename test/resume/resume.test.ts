/**
 * Resumable streams on one instance (memory hub): a dropped connection resumes with Last-Event-ID and
 * misses nothing, an EventSource's own reconnect never starts a second generation, a stream with no
 * reader left is stopped after the grace period, DELETE stops it at once, and non-resumable streams
 * still stop at disconnect.
 */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceClientError, streamChat } from '@sluice/client';
import { eventually, startHarness, type Harness } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { findFreePort } from '../support/start-redis.ts';
import { lastEventId, longText, reassemble } from './resume-checks.ts';

const graceMs = 400;
let harness: Harness;
/** Upstream requests before the current test: each test counts its own generations. */
let requestsBefore = 0;
before(async () => {
  harness = await startHarness({ resumeGraceMs: graceMs, sseRetryMs: 100, heartbeatMs: 60_000, resumeLogEntries: 64 });
});
beforeEach(() => {
  harness.fake.setScenario({});
  harness.logs.length = 0;
  requestsBefore = harness.fake.requests.length;
});

const generations = (): number => harness.fake.requests.length - requestsBefore;
after(() => harness.close());

const url = (path: string): string => `${harness.sluice.url}${path}`;
const text = longText(40);

/** Reads until `predicate` holds on the text so far, then cuts the connection. */
async function readThenCut(path: string, options: Parameters<typeof openStream>[1], minimumCharacters: number) {
  const stream = await openStream(url(path), options);
  assert.equal(stream.status, 200);
  await eventually(() => reassemble([stream.messages]).text.length >= minimumCharacters, 'half the answer');
  stream.destroy();
  return stream;
}

describe('resume after a dropped connection', () => {
  test('POST with "resumable": true, then GET /v1/streams/{id} with Last-Event-ID: the whole answer, once', async () => {
    harness.fake.setScenario({ text, tokenIntervalMs: 4 });
    const first = await readThenCut('/v1/chat/stream', { body: { prompt: 'hi', resumable: true } }, text.length / 3);
    assert.match(first.raw(), /^retry: 100\n\n/);
    const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
    await sleep(30);
    const second = await readStream(url(`/v1/streams/${streamId}`), { headers: { 'last-event-id': lastEventId(first.messages) } });
    assert.equal(second.status, 200);
    assert.ok(!second.messages.some((message) => message.event === 'meta'), 'no second meta on a resume');
    const whole = reassemble([first.messages, second.messages]);
    assert.equal(whole.text, text);
    assert.equal(whole.ending, 'done');
    assert.equal(generations(), 1, 'one generation');
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.outcome, 'completed');
    assert.equal(line.resumable, true);
    const resumed = await harness.waitForLog((record) => record.msg === 'stream reader ended');
    assert.equal(resumed.outcome, 'completed');
  });

  test("an EventSource's reconnect to GET /v1/chat/stream resumes (header or query) and never starts a second generation", async () => {
    harness.fake.setScenario({ text, tokenIntervalMs: 4 });
    const path = '/v1/chat/stream?prompt=hi';
    const first = await readThenCut(path, {}, text.length / 4);
    const second = await readThenCut(path, { headers: { 'last-event-id': lastEventId(first.messages) } }, (text.length * 2) / 4);
    const third = await readStream(url(`${path}&last_event_id=${encodeURIComponent(lastEventId(second.messages))}`));
    const whole = reassemble([first.messages, second.messages, third.messages]);
    assert.equal(whole.text, text);
    assert.equal(whole.ending, 'done');
    assert.equal(generations(), 1, 'one generation');
  });

  test('a second reader joins from the start while the first reads on', async () => {
    harness.fake.setScenario({ text, tokenIntervalMs: 3 });
    const first = await openStream(url('/v1/chat/stream'), { body: { prompt: 'hi', resumable: true } });
    await eventually(() => first.messages.length > 3, 'a few events');
    const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
    const second = await readStream(url(`/v1/streams/${streamId}`));
    await first.ended;
    assert.equal(second.messages[0]?.event, 'meta');
    for (const stream of [first, second]) {
      const whole = reassemble([stream.messages]);
      assert.equal(whole.text, text);
      assert.equal(whole.ending, 'done');
    }
  });
});

describe('structured output on a resumable stream', () => {
  const answer = { items: Array.from({ length: 30 }, (_, index) => `item number ${index}`) };
  const json = JSON.stringify(answer);
  // About 40 upstream events: the whole answer fits in this harness's log of 64 entries.
  const tokens = json.match(/.{1,12}/gs)!;
  const response_format = { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'object' } } };

  test('object events follow the tokens, and after a resume they are parsed from the whole answer, not from the cut', async () => {
    harness.fake.setScenario({ tokens, tokenIntervalMs: 3 });
    const first = await readThenCut('/v1/chat/stream', { body: { prompt: 'list', resumable: true, response_format } }, json.length / 2);
    const before = reassemble([first.messages]);
    assert.ok(before.objects.length > 0, 'objects before the cut');
    const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
    const second = await readStream(url(`/v1/streams/${streamId}`), { headers: { 'last-event-id': lastEventId(first.messages) } });
    const after = reassemble([second.messages]);
    const firstItemsAfter = (after.objects[0] as typeof answer).items;
    assert.equal(firstItemsAfter[0], 'item number 0', 'the first object after the resume starts with the answer, not with the cut');
    assert.ok(firstItemsAfter.length >= (before.objects.at(-1) as typeof answer).items.length);
    assert.deepEqual(after.objects.at(-1), answer);
    const whole = reassemble([first.messages, second.messages]);
    assert.equal(whole.text, json);
    assert.equal(whole.ending, 'done');
    const types = second.messages.map((message) => message.event);
    assert.equal(types[types.indexOf('object') - 1], 'token', 'an object follows the token that changed it');
  });

  test('a resume from the start and a second reader both get objects; without response_format there are none', async () => {
    harness.fake.setScenario({ tokens, tokenIntervalMs: 1 });
    const stream = await readStream(url('/v1/chat/stream'), { body: { prompt: 'list', resumable: true, response_format } });
    const streamId = JSON.parse(stream.messages[0]!.data).stream_id as string;
    assert.deepEqual(reassemble([stream.messages]).objects.at(-1), answer);
    const replay = await readStream(url(`/v1/streams/${streamId}`));
    assert.deepEqual(reassemble([replay.messages]).objects.at(-1), answer);
    const plain = await readStream(url('/v1/chat/stream'), { body: { prompt: 'list', resumable: true } });
    assert.equal(reassemble([plain.messages]).objects.length, 0);
  });

  test('an answer longer than the log: a late resume gets every token it missed, without objects, and the log says why', async () => {
    const long = JSON.stringify({ items: Array.from({ length: 100 }, (_, index) => `entry ${index}`) });
    const longTokens = long.match(/.{1,6}/gs)!;
    harness.fake.setScenario({ tokens: longTokens });
    const whole = await readStream(url('/v1/chat/stream'), { body: { prompt: 'list', resumable: true, response_format } });
    const tokenIds = whole.messages.filter((message) => message.event === 'token').map((message) => message.id!);
    const resumeFrom = tokenIds.at(-10)!;
    const late = await readStream(url(`/v1/streams/${resumeFrom.split(':')[0]}`), { headers: { 'last-event-id': resumeFrom } });
    assert.equal(late.status, 200);
    const resumed = reassemble([late.messages]);
    assert.equal(resumed.objects.length, 0);
    assert.ok(long.endsWith(resumed.text) && resumed.text.length > 0, 'the tokens after the position arrive whole');
    assert.equal(resumed.ending, 'done');
    await harness.waitForLog((record) => record.msg === 'the start of a structured answer is no longer kept: this reader gets no object events');
  });
});

describe('resume errors', () => {
  test('unknown, malformed and mismatched ids are clear errors, never a generation; after the end is 204', async () => {
    const unknown = await fetch(url('/v1/streams/nope123'));
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, 'not_found');
    const viaChat = await fetch(url('/v1/chat/stream?prompt=hi'), { headers: { 'last-event-id': 'nope123:4' } });
    assert.equal(viaChat.status, 404);
    const malformed = await fetch(url('/v1/chat/stream?prompt=hi'), { headers: { 'last-event-id': 'garbage' } });
    assert.equal(malformed.status, 400);
    assert.equal((await malformed.json()).error.param, 'Last-Event-ID');
    assert.equal(generations(), 0, 'no generation for a resume');

    const done = await readStream(url('/v1/chat/stream?prompt=hi'));
    const streamId = JSON.parse(done.messages[0]!.data).stream_id as string;
    const mismatched = await fetch(url(`/v1/streams/${streamId}`), { headers: { 'last-event-id': 'other:1' } });
    assert.equal(mismatched.status, 400);
    const afterEnd = await fetch(url(`/v1/streams/${streamId}`), { headers: { 'last-event-id': lastEventId(done.messages) } });
    assert.equal(afterEnd.status, 204, 'an EventSource stops reconnecting on 204');
  });

  test('a resume further back than the log keeps is 410; a reader that falls behind gets a gone error, not a gap', async () => {
    harness.fake.setScenario({ tokens: Array.from({ length: 200 }, (_, index) => `t${index} `) });
    const done = await readStream(url('/v1/chat/stream'), { body: { prompt: 'hi', resumable: true } });
    const streamId = JSON.parse(done.messages[0]!.data).stream_id as string;
    const tooOld = await fetch(url(`/v1/streams/${streamId}`), { headers: { 'last-event-id': `${streamId}:3` } });
    assert.equal(tooOld.status, 410);
    assert.equal((await tooOld.json()).error.code, 'gone');

    // A stalled reader: its socket fills, the log moves on past its position.
    const tokens = Array.from({ length: 2000 }, (_, index) => `${index} ${'z'.repeat(8000)} `);
    harness.fake.setScenario({ tokens });
    const stalled = await openStream(url('/v1/chat/stream'), { body: { prompt: 'hi', resumable: true }, paused: true });
    const upstream = await harness.fake.waitForRequest(harness.fake.requests.length - 1);
    await upstream.socketClosed;
    stalled.resume();
    await stalled.ended;
    const whole = reassemble([stalled.messages]);
    assert.equal(whole.ending, 'error');
    assert.equal(whole.errorCode, 'gone');
    assert.ok(tokens.join('').startsWith(whole.text), 'what arrived has no gap');
    assert.ok(whole.text.length < tokens.join('').length);
  });
});

describe('cancel stays honest', () => {
  test('a stream nobody comes back to is stopped after the grace period, not before', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const stream = await openStream(url('/v1/chat/stream'), { body: { prompt: 'hi', resumable: true } });
    const upstream = await harness.fake.waitForRequest(requestsBefore);
    await eventually(() => stream.messages.length > 3, 'some tokens');
    const leftAt = stream.destroy();
    const closedAt = await upstream.socketClosed;
    assert.ok(closedAt - leftAt >= graceMs - 20, `stopped ${Math.round(closedAt - leftAt)} ms after the client left`);
    assert.ok(closedAt - leftAt < graceMs + 300, `stopped ${Math.round(closedAt - leftAt)} ms after the client left`);
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.outcome, 'cancelled');
    assert.equal(line.reason, 'client_closed');
  });

  test('a reader that comes back within the grace period keeps the stream going to its end', async () => {
    harness.fake.setScenario({ text, tokenIntervalMs: 10 });
    const first = await readThenCut('/v1/chat/stream', { body: { prompt: 'hi', resumable: true } }, 20);
    await sleep(graceMs / 2);
    const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
    const second = await readStream(url(`/v1/streams/${streamId}?last_event_id=${encodeURIComponent(lastEventId(first.messages))}`));
    assert.equal(reassemble([first.messages, second.messages]).text, text);
  });

  test('DELETE /v1/streams/{id} stops the generation at once; its readers see cancelled', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const stream = await openStream(url('/v1/chat/stream'), { body: { prompt: 'hi', resumable: true } });
    const upstream = await harness.fake.waitForRequest(requestsBefore);
    await eventually(() => stream.messages.length > 3, 'some tokens');
    const streamId = JSON.parse(stream.messages[0]!.data).stream_id as string;
    const sentAt = performance.now();
    const response = await fetch(url(`/v1/streams/${streamId}`), { method: 'DELETE' });
    assert.deepEqual(await response.json(), { stream_id: streamId, status: 'cancelled' });
    const closedAt = await upstream.socketClosed;
    assert.ok(closedAt - sentAt < 100, `upstream closed ${Math.round(closedAt - sentAt)} ms after DELETE`);
    await stream.ended;
    const whole = reassemble([stream.messages]);
    assert.equal(whole.errorCode, 'cancelled');
    assert.equal(whole.finishReason, 'cancelled');
    const again = await fetch(url(`/v1/streams/${streamId}`), { method: 'DELETE' });
    assert.deepEqual(await again.json(), { stream_id: streamId, status: 'finished' });
    assert.equal((await fetch(url('/v1/streams/nope123'), { method: 'DELETE' })).status, 404);
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.reason, 'cancel_requested');
  });

  test("the SDK's abort stops a resumable stream at once, through DELETE", async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const controller = new AbortController();
    let tokens = 0;
    const chat = streamChat({ baseUrl: harness.sluice.url, prompt: 'hi', signal: controller.signal });
    const upstream = harness.fake.waitForRequest(requestsBefore);
    const reading = (async () => {
      for await (const event of chat) if (event.type === 'token') tokens += 1;
    })();
    await eventually(() => tokens > 3, 'some tokens');
    const abortedAt = performance.now();
    controller.abort();
    await assert.rejects(reading, (error: unknown) => error instanceof SluiceClientError && error.code === 'cancelled');
    const closedAt = await (await upstream).socketClosed;
    assert.ok(closedAt - abortedAt < 100, `upstream closed ${Math.round(closedAt - abortedAt)} ms after the abort`);
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.reason, 'cancel_requested', 'stopped by the DELETE, not by the grace period');
  });

  for (const [name, path, body] of [
    ['POST without "resumable"', '/v1/chat/stream', { prompt: 'hi' }],
    ['GET with resumable=0', '/v1/chat/stream?prompt=hi&resumable=0', undefined],
  ] as const) {
    test(`${name} is not resumable: it stops at disconnect and cannot be resumed`, async () => {
      harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
      const stream = await openStream(url(path), body === undefined ? {} : { body });
      const upstream = await harness.fake.waitForRequest(requestsBefore);
      await eventually(() => stream.messages.length > 3, 'some tokens');
      assert.doesNotMatch(stream.raw(), /^retry:/m);
      const leftAt = stream.destroy();
      assert.ok((await upstream.socketClosed) - leftAt < 100);
      const streamId = JSON.parse(stream.messages[0]!.data).stream_id as string;
      assert.equal((await fetch(url(`/v1/streams/${streamId}`))).status, 404);
    });
  }
});

describe('Redis unreachable at start', () => {
  test('Sluice starts, says so once, and serves resumable streams from the instance that runs them', async () => {
    const startedAt = performance.now();
    const isolated = await startHarness({ redisUrl: `redis://127.0.0.1:${await findFreePort()}`, resumeGraceMs: graceMs, sseRetryMs: 100 });
    try {
      assert.ok(performance.now() - startedAt < 3000, 'start does not hang on Redis');
      const warning = await isolated.waitForLog((record) => /Redis is unreachable/.test(String(record.msg)));
      assert.equal(warning.level, 40);
      isolated.fake.setScenario({ text, tokenIntervalMs: 4 });
      const first = await openStream(`${isolated.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi', resumable: true } });
      await eventually(() => reassemble([first.messages]).text.length > text.length / 3, 'a third of the answer');
      first.destroy();
      const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
      const rest = await readStream(`${isolated.sluice.url}/v1/streams/${streamId}`, { headers: { 'last-event-id': lastEventId(first.messages) } });
      assert.equal(reassemble([first.messages, rest.messages]).text, text);
      const elsewhere = await fetch(`${isolated.sluice.url}/v1/streams/unknown1`);
      assert.equal(elsewhere.status, 503, 'a stream this instance does not hold may exist elsewhere: retry, not 404');
      assert.equal(isolated.logs.filter((record) => /Redis is unreachable/.test(String(record.msg))).length, 1, 'logged once');
    } finally {
      await isolated.close();
    }
  });
});

