/**
 * Two Sluice processes behind a real nginx, sharing a real Redis: a stream read halfway through one
 * instance resumes on the other with nothing lost and nothing twice; a SIGTERM'd instance sends its
 * clients to the other without loss; DELETE on one instance stops a generation on the other at once;
 * an instance that dies outright ends its streams with an error its readers see; and a Redis outage
 * degrades to resuming on the same instance instead of failing.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { streamChat } from '@sluice/client';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { eventually } from '../support/sluice-harness.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';
import { openStream, readStream, type OpenedStream, type SseMessage } from '../support/sse-client.ts';
import { startNginx, type TemporaryNginx } from '../support/start-nginx.ts';
import { findFreePort, startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { lastEventId, longText, reassemble } from './resume-checks.ts';

let redis: TemporaryRedis;
let fake: FakeProvider;
let nginx: TemporaryNginx;
/** By `127.0.0.1:<port>`, as nginx names them in X-Upstream. */
const instances = new Map<string, SluiceProcess>();
const ports: number[] = [];

const ownerTtlMs = 600;

function startInstance(port: number): Promise<SluiceProcess> {
  return spawnSluice({
    PORT: String(port),
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test',
    REDIS_URL: redis.url,
    SLUICE_RESUME_GRACE_MS: '3000',
    SLUICE_SSE_RETRY_MS: '200',
    SLUICE_REDIS_OWNER_TTL_MS: String(ownerTtlMs),
    SLUICE_DRAIN_MS: '5000',
  });
}

async function restart(address: string): Promise<void> {
  const port = Number(address.split(':')[1]);
  instances.set(address, await startInstance(port));
}

const other = (address: string): string => [...instances.keys()].find((key) => key !== address)!;
const streamIdOf = (stream: OpenedStream): string => JSON.parse(stream.messages[0]!.data).stream_id as string;

/**
 * Resumes a cut stream through nginx until a resume lands on the instance that does not own it (nginx
 * alternates; a resume that lands on the owner again is cut once more), and reads it to the end there.
 * Every connection's events, the cut one first.
 */
async function resumeOnTheOtherInstance(first: OpenedStream, owner: string): Promise<SseMessage[][]> {
  assert.ok(instances.has(owner), `served by ${owner}: ${nginx.errorLog()}`);
  const connections: SseMessage[][] = [first.messages];
  let servedBy = owner;
  for (let attempt = 0; attempt < 4 && servedBy === owner; attempt += 1) {
    const resumeAfter = lastEventId(connections.at(-1)!);
    const resume = await openStream(`${nginx.url}/v1/streams/${streamIdOf(first)}`, { headers: { 'last-event-id': resumeAfter } });
    assert.equal(resume.status, 200);
    servedBy = String(resume.headers['x-upstream']);
    if (servedBy === owner) {
      await eventually(() => resume.messages.length > 0, 'an event');
      resume.destroy();
    } else {
      await resume.ended;
    }
    connections.push(resume.messages);
  }
  assert.equal(servedBy, other(owner), 'the rest came from the other instance');
  return connections;
}

before(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeProvider()]);
  ports.push(await findFreePort(), await findFreePort());
  const started = await Promise.all(ports.map(startInstance));
  ports.forEach((port, index) => instances.set(`127.0.0.1:${port}`, started[index]!));
  nginx = await startNginx([...instances.keys()]);
});

after(async () => {
  await nginx?.stop();
  await Promise.all([...instances.values()].map((instance) => instance.stop(2000)));
  await fake?.close();
  await redis?.stop();
});

describe('two instances behind nginx, one Redis', () => {
  test('half an answer through one instance, a cut, the rest from the other: exact text, no event twice, no gap', async () => {
    const text = longText(120);
    fake.setScenario({ text, tokenIntervalMs: 4 });
    const requestsBefore = fake.requests.length;
    const first = await openStream(`${nginx.url}/v1/chat/stream`, { body: { prompt: 'hi', resumable: true } });
    const owner = String(first.headers['x-upstream']);
    assert.ok(instances.has(owner), `served by ${owner}: ${nginx.errorLog()}`);
    await eventually(() => reassemble([first.messages]).text.length > text.length / 2, 'half the answer');
    first.destroy();
    const connections = await resumeOnTheOtherInstance(first, owner);
    const whole = reassemble(connections);
    assert.equal(whole.text, text);
    assert.equal(whole.ending, 'done');
    assert.equal(fake.requests.length - requestsBefore, 1, 'one generation');
  });

  test('a structured answer resumed on the other instance: its objects are parsed from the whole answer', async () => {
    const answer = { items: Array.from({ length: 60 }, (_, index) => `item ${index}`) };
    const json = JSON.stringify(answer);
    fake.setScenario({ tokens: json.match(/.{1,5}/gs)!, tokenIntervalMs: 4 });
    const response_format = { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'object' } } };
    const first = await openStream(`${nginx.url}/v1/chat/stream`, { body: { prompt: 'list', resumable: true, response_format } });
    await eventually(() => reassemble([first.messages]).text.length > json.length / 2, 'half the answer');
    first.destroy();
    const connections = await resumeOnTheOtherInstance(first, String(first.headers['x-upstream']));
    const onTheOther = reassemble([connections.at(-1)!]);
    assert.equal((onTheOther.objects[0] as typeof answer).items[0], 'item 0', 'the first object there starts with the answer, not with the cut');
    assert.deepEqual(onTheOther.objects.at(-1), answer);
    assert.equal(reassemble(connections).text, json);
  });

  test('SIGTERM on an instance mid-stream: its SDK clients resume on the other and lose nothing', async () => {
    const text = longText(150);
    fake.setScenario({ text, tokenIntervalMs: 8 });
    const requestsBefore = fake.requests.length;
    const resumes: string[] = [];
    const seen = new Map<number, string>();
    const answers = Array.from({ length: 4 }, (_, index) => {
      let received = '';
      const chat = streamChat({
        baseUrl: nginx.url,
        prompt: `client ${index}`,
        reconnect: { initialDelayMs: 50, maxAttempts: 8 },
        onResume: (info) => resumes.push(info.streamId),
      });
      return (async () => {
        for await (const event of chat) {
          if (event.type === 'token') {
            received += event.delta;
            seen.set(index, received);
          }
        }
        return received;
      })();
    });
    await eventually(() => seen.size === 4 && [...seen.values()].every((received) => received.length > 40), 'every client reading');
    const [victimAddress, victim] = [...instances.entries()][0]!;
    victim.child.kill('SIGTERM');
    try {
      const texts = await Promise.all(answers);
      for (const received of texts) assert.equal(received, text);
      assert.equal(fake.requests.length - requestsBefore, 4, 'one generation per client, none repeated');
      assert.ok(resumes.length >= 1, 'clients of the drained instance resumed');
      assert.equal(await victim.exited, 0);
      assert.ok(
        victim.logs.some((line) => line.msg === 'stream ended' && line.outcome === 'completed'),
        'the drained instance finished its generations while its clients read elsewhere',
      );
    } finally {
      await victim.stop(2000);
      await restart(victimAddress);
    }
  });

  test('DELETE on one instance stops a generation on the other; the upstream socket closes within 100 ms', async () => {
    fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const requestsBefore = fake.requests.length;
    const [ownerAddress, owner] = [...instances.entries()][0]!;
    const stream = await openStream(`${owner.url}/v1/chat/stream`, { body: { prompt: 'hi', resumable: true } });
    const upstream = await fake.waitForRequest(requestsBefore);
    await eventually(() => stream.messages.length > 5, 'some tokens');
    const sentAt = performance.now();
    const response = await fetch(`${instances.get(other(ownerAddress))!.url}/v1/streams/${streamIdOf(stream)}`, { method: 'DELETE' });
    const closedAt = await upstream.socketClosed;
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { stream_id: streamIdOf(stream), status: 'cancelling' });
    assert.ok(closedAt - sentAt < 100, `upstream closed ${Math.round(closedAt - sentAt)} ms after the DELETE`);
    await stream.ended;
    assert.equal(reassemble([stream.messages]).errorCode, 'cancelled');
  });

  test('an instance that dies outright: readers on the other get a terminal error, not an eternal wait', async () => {
    fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const [ownerAddress, owner] = [...instances.entries()][1]!;
    const stream = await openStream(`${owner.url}/v1/chat/stream`, { body: { prompt: 'hi', resumable: true } });
    await eventually(() => stream.messages.length > 5, 'some tokens');
    try {
      const reader = await openStream(`${instances.get(other(ownerAddress))!.url}/v1/streams/${streamIdOf(stream)}`, {
        headers: { 'last-event-id': lastEventId(stream.messages) },
      });
      await eventually(() => reader.messages.length > 3, 'the reader on the other instance tails');
      const killedAt = performance.now();
      owner.child.kill('SIGKILL');
      await reader.ended;
      const endedAfterMs = performance.now() - killedAt;
      const whole = reassemble([reader.messages]);
      assert.equal(whole.ending, 'error');
      assert.equal(whole.errorCode, 'internal');
      assert.equal(whole.finishReason, 'error');
      assert.ok(endedAfterMs < ownerTtlMs + 1500, `ended ${Math.round(endedAfterMs)} ms after the kill`);
    } finally {
      stream.destroy();
      owner.child.kill('SIGKILL');
      await owner.exited;
      await restart(ownerAddress);
    }
  });

  test('Redis down: streams go on and resume on their own instance; a resume elsewhere is a retryable 503', async () => {
    const text = longText(60);
    fake.setScenario({ text, tokenIntervalMs: 4 });
    const [ownerAddress, owner] = [...instances.entries()][0]!;
    await redis.kill();
    try {
      const first = await openStream(`${owner.url}/v1/chat/stream`, { body: { prompt: 'hi', resumable: true } });
      await eventually(() => reassemble([first.messages]).text.length > text.length / 3, 'a third of the answer');
      first.destroy();
      const elsewhere = await fetch(`${instances.get(other(ownerAddress))!.url}/v1/streams/${streamIdOf(first)}`, {
        headers: { 'last-event-id': lastEventId(first.messages) },
      });
      assert.equal(elsewhere.status, 503);
      assert.equal((await elsewhere.json()).error.code, 'overloaded');
      const here = await readStream(`${owner.url}/v1/streams/${streamIdOf(first)}`, { headers: { 'last-event-id': lastEventId(first.messages) } });
      const whole = reassemble([first.messages, here.messages]);
      assert.equal(whole.text, text);
      assert.equal(whole.ending, 'done');
      assert.ok(owner.logs.some((line) => line.level === 40 && /Redis is unreachable/.test(String(line.msg))), 'the outage is logged');
    } finally {
      await redis.start();
    }
    await sleep(10);
  });
});
