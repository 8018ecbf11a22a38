/**
 * SLUICE_WORKERS=2: two worker processes share the port. A resumable stream resumes, and a DELETE stops
 * it, from the worker that does not run it, without Redis (through the primary) and with it; SIGTERM to
 * the primary drains both workers, and the process exits 0.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sluiceReader } from '../support/dialect-readers.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { eventually } from '../support/sluice-harness.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';
import { openStream, readStream, type SseMessage } from '../support/sse-client.ts';
import { startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { lastEventId, longText, reassemble } from '../resume/resume-checks.ts';

let fake: FakeProvider;
before(async () => {
  fake = await startFakeProvider();
});
after(() => fake.close());

/** The worker that logged `message` with these fields, once it did. */
async function workerOf(sluice: SluiceProcess, message: string, fields: Record<string, unknown>): Promise<number> {
  let line: Record<string, unknown> | undefined;
  const matches = (record: Record<string, unknown>): boolean => record.msg === message && Object.entries(fields).every(([key, value]) => record[key] === value);
  await eventually(() => (line = sluice.logs.find(matches)) !== undefined, `"${message}" with ${JSON.stringify(fields)}`);
  return line!.worker as number;
}

/** Starts a resumable stream and leaves after a few events: its events so far and its id. */
async function startAndLeave(sluice: SluiceProcess): Promise<{ messages: SseMessage[]; streamId: string }> {
  const stream = await openStream(`${sluice.url}/v1/chat/stream`, { body: { prompt: 'hi', resumable: true } });
  await eventually(() => stream.messages.length > 4, 'a few events');
  stream.destroy();
  return { messages: [...stream.messages], streamId: JSON.parse(stream.messages[0]!.data).stream_id as string };
}

function describeWorkers(name: string, environment: () => Record<string, string>): void {
  describe(`SLUICE_WORKERS=2, ${name}`, () => {
    const slug = name.replaceAll(' ', '-');
    let sluice: SluiceProcess;
    before(async () => {
      sluice = await spawnSluice({ SLUICE_WORKERS: '2', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', SLUICE_RESUME_GRACE_MS: '5000', ...environment() });
    });
    after(() => sluice.stop());

    test('a stream resumes on the worker that does not run it, with nothing lost or sent twice', async () => {
      const text = longText(60);
      fake.setScenario({ text, tokenIntervalMs: 15 });
      const first = await startAndLeave(sluice);
      // Two resumes at once, each a new connection: the primary hands them to the two workers in turn,
      // and both tail the live stream to its end.
      const resumes = await Promise.all(
        [0, 1].map((index) =>
          readStream(`${sluice.url}/v1/streams/${first.streamId}`, { headers: { 'last-event-id': lastEventId(first.messages), 'x-request-id': `${slug}-resume-${index}` } }),
        ),
      );
      const owner = await workerOf(sluice, 'stream ended', { stream_id: first.streamId });
      const servedBy = await Promise.all([0, 1].map((index) => workerOf(sluice, 'stream reader ended', { request_id: `${slug}-resume-${index}` })));
      assert.ok(servedBy.some((worker) => worker !== owner), `resumed on workers ${servedBy.join(', ')}, generated on ${owner}`);
      for (const resumed of resumes) {
        assert.equal(resumed.status, 200);
        const whole = reassemble([first.messages, resumed.messages]);
        assert.equal(whole.text, text);
        assert.equal(whole.ending, 'done');
      }
    });

    test('a DELETE on the worker that does not run a stream stops it at once', async () => {
      fake.setScenario({ infinite: true, tokenIntervalMs: 10 });
      // A DELETE that lands on the worker running the stream proves nothing here: try again with another.
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const started = await startAndLeave(sluice);
        const requestId = `${slug}-delete-${attempt}`;
        const response = await fetch(`${sluice.url}/v1/streams/${started.streamId}`, { method: 'DELETE', headers: { 'x-request-id': requestId, connection: 'close' } });
        const body = await response.json();
        const deletedOn = await workerOf(sluice, 'stream cancel requested', { request_id: requestId });
        const owner = await workerOf(sluice, 'stream ended', { stream_id: started.streamId, reason: 'cancel_requested' });
        if (deletedOn === owner) continue;
        assert.equal(response.status, name === 'with Redis' ? 202 : 200);
        assert.equal(body.status, name === 'with Redis' ? 'cancelling' : 'cancelled');
        return;
      }
      assert.fail('no DELETE landed on the other worker');
    });
  });
}

describeWorkers('without Redis', () => ({}));

let redis: TemporaryRedis;
describe('with a Redis', () => {
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());
  describeWorkers('with Redis', () => ({ REDIS_URL: redis.url }));
});

test('SIGTERM to the primary drains both workers: a short stream finishes, a long one ends with shutting_down, exit 0', async () => {
  const sluice = await spawnSluice({ SLUICE_WORKERS: '2', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', SLUICE_DRAIN_MS: '800' });
  try {
    fake.setScenario((upstreamRequest) => (upstreamRequest.body.messages[0].content === 'short' ? { text: 'a b c d e f', tokenIntervalMs: 60 } : { infinite: true, tokenIntervalMs: 20 }));
    const short = await openStream(`${sluice.url}/v1/chat/stream`, { body: sluiceReader.body('short'), headers: { 'x-request-id': 'drain-short' } });
    const long = await openStream(`${sluice.url}/v1/chat/stream`, { body: sluiceReader.body('long'), headers: { 'x-request-id': 'drain-long' } });
    await eventually(() => long.messages.length > 2 && short.messages.length > 1, 'both streams under way');
    sluice.child.kill('SIGTERM');
    await short.ended;
    await long.ended;
    assert.deepEqual([sluiceReader.summarize(short.messages).ending, sluiceReader.summarize(short.messages).text], ['done', 'a b c d e f']);
    assert.deepEqual([sluiceReader.summarize(long.messages).ending, sluiceReader.summarize(long.messages).errorCode], ['error', 'shutting_down']);
    assert.equal(await sluice.exited, 0);
    const drained = new Set(sluice.logs.filter((record) => String(record.msg).startsWith('SIGTERM: draining for')).map((record) => record.worker));
    assert.deepEqual([...drained].sort(), [1, 2], 'both workers drained');
    const workers = new Set([await workerOf(sluice, 'stream ended', { request_id: 'drain-short' }), await workerOf(sluice, 'stream ended', { request_id: 'drain-long' })]);
    assert.equal(workers.size, 2, 'the two streams ran on the two workers');
  } finally {
    await sluice.stop();
  }
});
