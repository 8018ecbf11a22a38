/**
 * Reservations and budgets on streams that end every way: cut by the client, cut by the upstream,
 * cancelled with DELETE, timed out, or finished, at random points. Each is charged what it delivered
 * (estimated when the upstream never said), its reservation is gone from Redis, and the key's totals
 * add up. A budget crossed mid-stream ends the stream in every dialect with that dialect's error, after
 * the event that crossed it; the next request is a 429 that the SDKs are told not to retry; the spend
 * survives a restart, in tokens and in dollars.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { splitIntoTokens } from '../support/fake-provider/scenario.ts';
import { dialectReaders, openaiChatReader, sluiceReader } from '../support/dialect-readers.ts';
import { eventually } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { awayFromWindowEnd } from './rate-limiter-contract.ts';
import { startAccessHarness, type AccessHarness, type CreatedKey } from './access-harness.ts';

let redis: TemporaryRedis;
let harness: AccessHarness;

const words = Array.from({ length: 600 }, (_, index) => `w${index}`).join(' ');
const seed = Date.now();
let state = seed % 2_147_483_647;
/** A seeded generator: a failure names its seed. */
function random(below: number): number {
  state = (state * 48_271) % 2_147_483_647;
  return state % below;
}

interface ModelUsage {
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  estimated_requests: number;
}

async function usageOf(key: CreatedKey): Promise<any> {
  const response = await harness.admin(`/admin/keys/${key.id}/usage`);
  assert.equal(response.status, 200);
  return response.json();
}

before(async () => {
  redis = await startRedis();
  harness = await startAccessHarness({ redisUrl: redis.url, idleTimeoutMs: 300, modelPrices: { 'gpt-priced': { input: 1_000_000, output: 1_000_000 } } });
});

after(async () => {
  await harness?.close();
  await redis?.stop();
});

describe('settling streams that end at random points', () => {
  test(`every ending is charged what it delivered and leaves no reservation (seed ${seed})`, async () => {
    await awayFromWindowEnd();
    const key = await harness.createKey({ name: 'random cuts', rpm: 10_000, tpm: 10_000_000 });
    const auth = { authorization: `Bearer ${key.key}` };
    const url = harness.sluice.url;
    /** The text each stream's model name should have been charged for: exact where the test can know it, a lower bound where bytes were in flight. */
    const expected = new Map<string, { text: string; exact: boolean; estimated: boolean }>();
    const tokens = splitIntoTokens(words);
    const runs: Promise<void>[] = [];

    // Cut by the upstream after a random number of tokens: all of them reached Sluice.
    for (let index = 0; index < 3; index += 1) {
      const afterTokens = 1 + random(120);
      const model = `gpt-upstream-cut-${index}`;
      harness.fake.setScenario({ text: words, fault: { afterTokens, kind: 'cut' } });
      expected.set(model, { text: tokens.slice(0, afterTokens).join(''), exact: true, estimated: true });
      await readStream(`${url}/v1/chat/completions`, { body: { ...openaiChatReader.body('cut'), model }, headers: auth });
    }
    // Timed out: the upstream goes silent after a random number of tokens and the idle timeout ends it.
    {
      const afterTokens = 1 + random(120);
      const model = 'gpt-timed-out';
      harness.fake.setScenario({ text: words, fault: { afterTokens, kind: 'hang' } });
      expected.set(model, { text: tokens.slice(0, afterTokens).join(''), exact: true, estimated: true });
      await readStream(`${url}/v1/chat/stream`, { body: { prompt: 'slow', model }, headers: auth });
    }
    // Finished: the upstream's own usage is charged, not an estimate.
    harness.fake.setScenario({ text: 'All of it.', usage: { prompt_tokens: 17, completion_tokens: 3 } });
    await readStream(`${url}/v1/chat/completions`, { body: { ...openaiChatReader.body('whole'), model: 'gpt-finished' }, headers: auth });

    harness.fake.setScenario({ text: words, tokenIntervalMs: 2 });
    // Cut by the client at a random point, in every streaming dialect: what it received is a lower bound.
    for (const reader of dialectReaders) {
      const model = `gpt-client-cut-${reader.path}`;
      const stopAfterBytes = 200 + random(1_200);
      runs.push(
        (async () => {
          const stream = await openStream(`${url}${reader.path}`, { body: { ...reader.body('cut me'), model }, headers: auth });
          assert.equal(stream.status, 200);
          await eventually(() => stream.raw().length > stopAfterBytes || stream.complete(), `${stopAfterBytes} bytes of ${reader.name}`);
          assert.ok(!stream.complete(), `${reader.name} ended before ${stopAfterBytes} bytes: ${stream.raw().slice(-300)}`);
          stream.destroy();
          expected.set(model, { text: reader.summarize(stream.messages, stream).text, exact: false, estimated: true });
        })(),
      );
    }
    // Cancelled with DELETE at a random point: the stream's own log says what was generated.
    for (let index = 0; index < 2; index += 1) {
      const model = `gpt-deleted-${index}`;
      runs.push(
        (async () => {
          const stream = await openStream(`${url}/v1/chat/stream`, { body: { prompt: 'stop me', model, resumable: true }, headers: auth });
          await eventually(() => stream.messages.length > 0, 'the meta event');
          const streamId = JSON.parse(stream.messages[0]!.data).stream_id as string;
          const stopAfterTokens = 2 + random(100);
          await eventually(() => stream.messages.filter((message) => message.event === 'token').length >= stopAfterTokens, `${stopAfterTokens} tokens`);
          const cancel = await fetch(`${url}/v1/streams/${streamId}`, { method: 'DELETE', headers: auth });
          assert.equal(cancel.status, 200);
          await stream.ended;
          const whole = await readStream(`${url}/v1/streams/${streamId}`, { headers: auth });
          expected.set(model, { text: sluiceReader.summarize(whole.messages).text, exact: true, estimated: true });
        })(),
      );
    }
    await Promise.all(runs);

    const streams = expected.size + 1;
    await eventually(() => harness.logs.filter((record) => record.msg === 'stream ended').length >= streams, 'every stream to end');
    let usage: any;
    const deadline = performance.now() + 5_000;
    do usage = await usageOf(key);
    while (usage.requests < streams && performance.now() < deadline);
    assert.equal(usage.requests, streams, 'every stream settled');
    const byModel = new Map<string, ModelUsage>((usage.by_model as ModelUsage[]).map((entry) => [entry.model, entry]));
    for (const [model, { text, exact, estimated }] of expected) {
      const charged = byModel.get(model);
      assert.ok(charged, `${model} was charged`);
      assert.equal(charged.estimated_requests, estimated ? 1 : 0, model);
      const delivered = Math.ceil(text.length / 4);
      if (exact) assert.equal(charged.completion_tokens, delivered, `${model}: charged what it delivered (seed ${seed})`);
      else assert.ok(charged.completion_tokens >= delivered && charged.completion_tokens > 0, `${model}: ${charged.completion_tokens} charged, ${delivered} received (seed ${seed})`);
    }
    assert.deepEqual([byModel.get('gpt-finished')?.prompt_tokens, byModel.get('gpt-finished')?.completion_tokens], [17, 3]);
    const logged = harness.logs
      .filter((record) => record.msg === 'stream ended' && record.key === 'random cuts')
      .reduce((sum, record) => sum + (record.tokens as { total: number }).total, 0);
    assert.equal(usage.total_tokens, logged, 'the key was charged what the log lines say, no more, no less');
    assert.equal(usage.current_minute.reserved_tokens, 0, 'no reservation left in Redis');
    assert.equal(usage.current_minute.tokens, usage.total_tokens, 'the minute counts the settled tokens');
  });
});

describe('counting tokens as they stream', () => {
  test('a stream past its reservation reserves more while it streams, and settles to what it used', async () => {
    await awayFromWindowEnd();
    const key = await harness.createKey({ name: 'long answer', tpm: 1_000_000 });
    const auth = { authorization: `Bearer ${key.key}` };
    // No max_tokens: it reserves its prompt and the default 1,024; the answer is about 1,700 tokens.
    const long = Array.from({ length: 1_700 }, (_, index) => `w${index % 10}`).join(' ');
    harness.fake.setScenario({ text: long, tokenIntervalMs: 1, tokensPerEvent: 20 });
    const stream = await openStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'a long one' }, headers: auth });
    let peak = 0;
    while (!stream.complete()) {
      peak = Math.max(peak, (await usageOf(key)).current_minute.reserved_tokens);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await stream.ended;
    assert.ok(peak > 1_100, `the reservation grew past its first 1,024 completion tokens while streaming: ${peak}`);
    let usage: any;
    const deadline = performance.now() + 5_000;
    do usage = await usageOf(key);
    while ((usage.requests === 0 || usage.current_minute.reserved_tokens > 0) && performance.now() < deadline);
    assert.equal(usage.current_minute.reserved_tokens, 0);
    assert.equal(usage.current_minute.tokens, usage.total_tokens);
  });
});

describe('a budget crossed mid-stream', () => {
  for (const reader of dialectReaders) {
    test(`${reader.name}: ends with the dialect's error after the current event, stops the upstream, and the next request is a 429`, async () => {
      const key = await harness.createKey({ name: `budget ${reader.name}`, budget_tokens: 80 });
      harness.fake.setScenario({ text: words, tokenIntervalMs: 1 });
      const upstreamIndex = harness.fake.requests.length;
      const stream = await readStream(`${harness.sluice.url}${reader.path}`, { body: reader.body('spend it'), headers: { 'x-api-key': key.key } });
      assert.equal(stream.status, 200);
      const summary = reader.summarize(stream.messages, stream);
      assert.ok(summary.text.length > 0 && summary.text.length < words.length, `part of the answer: ${summary.text.length} characters`);
      if (reader.carries.errorCode) {
        assert.equal(summary.ending, 'error');
        // Anthropic has no budget error type: its 429 type, with the reason in the message.
        assert.equal(summary.errorCode, reader.path === '/v1/messages' ? 'rate_limited' : 'budget_exceeded');
        assert.match(stream.raw(), /spent its budget/);
      }
      await harness.fake.requests[upstreamIndex]!.socketClosed;
      assert.ok(!harness.fake.requests[upstreamIndex]!.completed, 'the upstream was stopped');

      await eventually(() => harness.logs.some((record) => record.msg === 'stream ended' && record.key === `budget ${reader.name}`), 'the stream to end');
      let refused: Response;
      const deadline = performance.now() + 5_000;
      do refused = await fetch(`${harness.sluice.url}${reader.path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.key }, body: JSON.stringify(reader.body('more')) });
      while (refused.status === 200 && performance.now() < deadline);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('x-should-retry'), 'false');
      assert.match(await refused.text(), reader.path === '/v1/messages' ? /rate_limit_error/ : /budget_exceeded/);
      // The charge is written within milliseconds of the stream's end, the refusal above came from this instance's own count.
      let usage: any;
      const written = performance.now() + 5_000;
      do usage = await usageOf(key);
      while (usage.requests === 0 && performance.now() < written);
      assert.ok(usage.total_tokens >= 80, `spent ${usage.total_tokens}`);
      assert.equal(usage.budget_remaining_tokens, 0);
    });
  }
});

describe('budgets that last', () => {
  test('a spent budget is still spent after a restart on the same database', async () => {
    const key = await harness.createKey({ name: 'restarted', budget_tokens: 30 });
    harness.fake.setScenario({ text: words, tokenIntervalMs: 1 });
    await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'spend it all' }, headers: { authorization: `Bearer ${key.key}` } });
    await eventually(() => harness.logs.some((record) => record.msg === 'stream ended' && record.key === 'restarted'), 'the stream to end');
    const second = await startAccessHarness({}, { keysPath: harness.keysPath });
    try {
      let refused: Response;
      const deadline = performance.now() + 5_000;
      do refused = await fetch(`${second.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` }, body: JSON.stringify({ prompt: 'more' }) });
      while (refused.status === 200 && performance.now() < deadline);
      assert.equal(refused.status, 429);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'budget_exceeded');
    } finally {
      await second.close();
    }
  });

  test('a budget in dollars, priced by SLUICE_MODEL_PRICES: charged, cut when spent, and only priced models allowed', async () => {
    const key = await harness.createKey({ name: 'dollars', budget_usd: 40 });
    const auth = { authorization: `Bearer ${key.key}` };
    harness.fake.setScenario({ text: words, tokenIntervalMs: 1 });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi', model: 'gpt-priced' }, headers: auth });
    const summary = sluiceReader.summarize(stream.messages);
    assert.equal(summary.errorCode, 'budget_exceeded');
    await eventually(() => harness.logs.some((record) => record.msg === 'stream ended' && record.key === 'dollars'), 'the stream to end');
    let usage: any;
    const deadline = performance.now() + 5_000;
    do usage = await usageOf(key);
    while (usage.requests === 0 && performance.now() < deadline);
    // A dollar per token: the spend is the tokens charged.
    assert.equal(usage.spend_usd, usage.total_tokens);
    assert.ok(usage.spend_usd >= 40);
    const unpriced = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ prompt: 'hi', model: 'gpt-unpriced' }) });
    assert.equal(unpriced.status, 403);
    assert.match(await unpriced.text(), /no price/);
  });
});
