/**
 * An instance that dies mid-stream, on a route that continues failures: two Sluice processes behind a
 * real nginx, one Redis. The instance generating a round of streams is killed with SIGKILL at a random
 * token; the other claims each stream and continues it from the entries stored in Redis. Every reader,
 * the clients that reconnect through nginx and the readers tailing on the other instance, must end with
 * exactly the uninterrupted answer: no token lost, none twice. Fifty trials, ten at a time; the time from
 * the kill to the continuation is reported.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { eventually } from '../support/sluice-harness.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';
import { openStream, type OpenedStream, type SseMessage } from '../support/sse-client.ts';
import { startNginx, type TemporaryNginx } from '../support/start-nginx.ts';
import { findFreePort, startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { lastEventId, longText, reassemble } from './resume-checks.ts';

const ownerTtlMs = 600;
const rounds = 5;
const streamsPerRound = 10;
const words = 100;

let redis: TemporaryRedis;
let fake: FakeProvider;
let nginx: TemporaryNginx;
const ports: number[] = [];
const instances: SluiceProcess[] = [];

function startInstance(port: number): Promise<SluiceProcess> {
  return spawnSluice({
    PORT: String(port),
    REDIS_URL: redis.url,
    SLUICE_PROVIDERS: JSON.stringify({ vllm: { type: 'openai-chat', baseUrl: fake.url, continuation: 'continue-final-message' } }),
    SLUICE_ROUTES: JSON.stringify({ '*': { provider: 'vllm', continueOnFailure: { on: ['connection'], max: 3 } } }),
    SLUICE_RESUME_GRACE_MS: '5000',
    SLUICE_SSE_RETRY_MS: '200',
    SLUICE_REDIS_OWNER_TTL_MS: String(ownerTtlMs),
  });
}

before(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeProvider()]);
  ports.push(await findFreePort(), await findFreePort());
  instances.push(...(await Promise.all(ports.map(startInstance))));
  nginx = await startNginx(ports.map((port) => `127.0.0.1:${port}`));
});

after(async () => {
  await nginx?.stop();
  await Promise.all(instances.map((instance) => instance.stop(2000)));
  await fake?.close();
  await redis?.stop();
});

/** Resumes a cut stream through nginx (which skips the dead instance) until its last event arrived. */
async function readToTheEnd(first: OpenedStream, streamId: string): Promise<SseMessage[][]> {
  const connections = [first.messages];
  for (let attempt = 0; attempt < 10 && reassemble(connections).ending === 'none'; attempt += 1) {
    const resume = await openStream(`${nginx.url}/v1/streams/${streamId}`, { headers: { 'last-event-id': lastEventId(connections.at(-1)!) } });
    assert.equal(resume.status, 200, `resume answered ${resume.status}: ${nginx.errorLog()}`);
    await resume.ended;
    connections.push(resume.messages);
  }
  return connections;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

describe('kill -9 of the instance generating', () => {
  test(`${rounds * streamsPerRound} trials: every reader gets the uninterrupted answer, and the takeover time is reported`, async (t) => {
    const text = longText(words);
    fake.setScenario({ text, tokenIntervalMs: 8, flavour: 'vllm', continue: true });
    const takeoverMs: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const victimIndex = round % 2;
      const victim = instances[victimIndex]!;
      const survivor = instances[1 - victimIndex]!;
      const creators = await Promise.all(
        Array.from({ length: streamsPerRound }, () => openStream(`${victim.url}/v1/chat/stream`, { body: { prompt: 'tides', resumable: true } })),
      );
      await eventually(() => creators.every((stream) => stream.messages.length > 0), 'every stream started');
      const streamIds = creators.map((stream) => JSON.parse(stream.messages[0]!.data).stream_id as string);
      const tails = await Promise.all(streamIds.map((streamId) => openStream(`${survivor.url}/v1/streams/${streamId}`)));
      // In the first half: far enough from the end that, even on a loaded machine, the generation is still
      // going when the kill lands (it runs a little ahead of what its readers may see).
      const killAtToken = 3 + Math.floor(Math.random() * (words / 2 - 3));
      // Tokens that became readable together leave as one event: count the words, not the events.
      await eventually(() => reassemble([creators[0]!.messages]).text.split(' ').length > killAtToken, `token ${killAtToken}`);
      const killedAt = performance.now();
      victim.child.kill('SIGKILL');
      const continuedAt = tails.map(
        (tail) =>
          new Promise<number>((resolve) => {
            const poll = setInterval(() => {
              if (tail.messages.some((message) => message.event === 'continued') || tail.complete()) {
                clearInterval(poll);
                resolve(performance.now());
              }
            }, 2);
          }),
      );
      const restarted = victim.exited.then(() => startInstance(ports[victimIndex]!));
      const results = await Promise.all(
        creators.map(async (creator, index) => {
          await creator.ended;
          const connections = await readToTheEnd(creator, streamIds[index]!);
          await tails[index]!.ended;
          return { client: reassemble(connections), tail: reassemble([tails[index]!.messages]), tailMessages: tails[index]!.messages };
        }),
      );
      for (const [index, { client, tail, tailMessages }] of results.entries()) {
        const where = `round ${round}, stream ${index}, killed at token ${killAtToken}`;
        assert.equal(client.ending, 'done', `${where}: the reconnecting client finished: ${JSON.stringify(instances.flatMap((instance) => instance.logs).filter((line) => line.stream_id === streamIds[index]))}`);
        assert.equal(client.text, text, `${where}: the reconnecting client's text`);
        assert.equal(tail.ending, 'done', `${where}: the tailing reader finished`);
        assert.equal(tail.text, text, `${where}: the tailing reader's text`);
        const continued = tailMessages.find((message) => message.event === 'continued');
        assert.ok(continued, `${where}: the tailing reader saw the takeover ${JSON.stringify(instances.flatMap((instance) => instance.logs).filter((line) => line.stream_id === streamIds[index]))}`);
        assert.equal(JSON.parse(continued.data).trigger, 'owner_lost');
      }
      for (const at of await Promise.all(continuedAt)) takeoverMs.push(at - killedAt);
      instances[victimIndex] = await restarted;
    }
    const claims = instances.flatMap((instance) => instance.logs).filter((line) => line.msg === 'the instance generating this stream is gone; continuing it here');
    assert.equal(new Set(claims.map((line) => line.stream_id)).size, claims.length, 'each stream was taken over by exactly one instance');
    const sorted = takeoverMs.sort((a, b) => a - b);
    t.diagnostic(`takeover after kill -9, ${sorted.length} streams: p50 ${Math.round(percentile(sorted, 0.5))} ms, p99 ${Math.round(percentile(sorted, 0.99))} ms (owner lease ${ownerTtlMs} ms)`);
    assert.ok(percentile(sorted, 0.99) < ownerTtlMs + 3000, `p99 takeover ${Math.round(percentile(sorted, 0.99))} ms`);
  });
});
