import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisHub, type RedisHubOptions } from '../../packages/server/src/pipeline/hub/redis-hub.ts';
import { SluiceError, type StreamMeta } from '@sluice/protocol';
import { findFreePort, startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { contractOptions, runHubContract } from './hub-contract.ts';

let redis: TemporaryRedis;
before(async () => {
  redis = await startRedis();
});
after(() => redis.stop());

interface LogLine {
  level: 'info' | 'warn';
  message: string;
}

function hubOptions(url: string, lines: LogLine[] = []): RedisHubOptions {
  return {
    ...contractOptions,
    url,
    ownerTtlMs: 300,
    logger: {
      info: (_details, message) => lines.push({ level: 'info', message }),
      warn: (_details, message) => lines.push({ level: 'warn', message }),
    },
  };
}

/** Redis trims in whole nodes of 100 entries: past 300 the first entries are surely gone. */
const overflowEntries = 300;

runHubContract(
  'redis, read on the generating instance',
  async () => {
    const hub = await createRedisHub(hubOptions(redis.url));
    return { producerHub: hub, readerHub: hub, overflowEntries, close: () => hub.close() };
  },
  true,
);

runHubContract(
  'redis, read from another instance',
  async () => {
    const producerHub = await createRedisHub(hubOptions(redis.url));
    const readerHub = await createRedisHub(hubOptions(redis.url));
    return {
      producerHub,
      readerHub,
      overflowEntries,
      close: async () => {
        await producerHub.close();
        await readerHub.close();
      },
    };
  },
  false,
);

function newMeta(streamId: string): StreamMeta {
  return { streamId, requestId: 'req', model: 'gpt-test', created: 1, demo: false };
}

describe('redis hub failures', () => {
  test('readers elsewhere get a terminal error when the generating instance dies', async () => {
    // Retention well past the owner's liveness key: the log must still be there when the reader finds the owner gone.
    const options = { ...hubOptions(redis.url), retentionMs: 10_000 };
    const owner = await createRedisHub(options);
    const reader = await createRedisHub(options);
    let ownerClosed = false;
    try {
      const producer = await owner.create(newMeta('orphan-1'), { stop: () => {} });
      producer.append({ type: 'text-delta', text: 'half ' });
      await producer.settled();
      const tail = await reader.open('orphan-1', 0);
      assert.equal((await tail.next())?.length, 1);
      // A crash: the owner stops renewing its liveness key and never writes its last entry.
      await owner.close();
      ownerClosed = true;
      const startedAt = performance.now();
      const ending = await Promise.race([tail.next(), sleep(10_000, undefined, { ref: false }).then(() => assert.fail('no terminal error 10 s after the owner died'))]);
      const waitedMs = performance.now() - startedAt;
      assert.deepEqual(
        ending?.map((entry) => [entry.sequence, entry.part.type, entry.part.type === 'error' && entry.part.retryable]),
        [[2, 'error', true]],
      );
      // The owner's liveness key lives 300 ms here; the bound leaves room for a loaded CI machine.
      assert.ok(waitedMs < 3000, `ended ${Math.round(waitedMs)} ms after the owner died`);
      assert.equal(await tail.next(), undefined);
      tail.close();
      assert.equal(await reader.cancel('orphan-1'), 'finished');
    } finally {
      // Even when an assertion fails: an open hub keeps Redis connections, and the test process alive.
      if (!ownerClosed) await owner.close();
      await reader.close();
    }
  });

  test('a live stream quieter than its retention stays readable from another instance', async () => {
    const owner = await createRedisHub(hubOptions(redis.url));
    const reader = await createRedisHub(hubOptions(redis.url));
    try {
      const producer = await owner.create(newMeta('quiet-1'), { stop: () => {} });
      producer.append({ type: 'text-delta', text: 'thinking… ' });
      await producer.settled();
      // Twice the retention without a part: the owner's renewals keep the log alive.
      await sleep(contractOptions.retentionMs * 2);
      const tail = await reader.open('quiet-1', 0);
      assert.deepEqual((await tail.next())?.map((entry) => entry.part), [{ type: 'text-delta', text: 'thinking… ' }]);
      producer.append({ type: 'finish', finishReason: 'stop' });
      assert.deepEqual((await tail.next())?.map((entry) => entry.part.type), ['finish']);
      tail.close();
    } finally {
      await owner.close();
      await reader.close();
    }
  });

  test('a Redis that is unreachable at start: streams stay on their instance, resumes elsewhere are 503, nothing hangs', async () => {
    const lines: LogLine[] = [];
    const startedAt = performance.now();
    const hub = await createRedisHub(hubOptions(`redis://127.0.0.1:${await findFreePort()}`, lines));
    assert.ok(performance.now() - startedAt < 2500, 'start does not wait for Redis');
    assert.equal(lines.filter((line) => line.level === 'warn').length, 1, 'the outage is logged once');
    const producer = await hub.create(newMeta('local-only'), { stop: () => {} });
    producer.append({ type: 'text-delta', text: 'still ' });
    producer.append({ type: 'finish', finishReason: 'stop' });
    await producer.settled();
    const local = await hub.open('local-only', 0);
    assert.equal((await local.next())?.length, 2);
    local.close();
    await assert.rejects(hub.open('elsewhere', 0), (error: unknown) => error instanceof SluiceError && error.code === 'overloaded' && error.status === 503);
    await assert.rejects(hub.cancel('elsewhere'), (error: unknown) => error instanceof SluiceError && error.code === 'overloaded');
    await hub.close();
  });

  test('Redis that comes up after an unreachable start: new streams are shared and cancels reach their owner', async () => {
    await redis.kill();
    const owner = await createRedisHub(hubOptions(redis.url));
    const other = await createRedisHub(hubOptions(redis.url));
    await redis.start();
    try {
      const stops: string[] = [];
      const deadline = performance.now() + 5000;
      let producer;
      for (let attempt = 0; ; attempt += 1) {
        producer = await owner.create(newMeta(`late-${attempt}`), { stop: (reason) => stops.push(reason) });
        producer.append({ type: 'text-delta', text: 'a ' });
        await producer.settled();
        try {
          (await other.open(producer.meta.streamId, 0)).close();
          break;
        } catch (error) {
          producer.append({ type: 'finish', finishReason: 'stop' });
          if (performance.now() > deadline) throw error;
          await sleep(100);
        }
      }
      assert.equal(await other.cancel(producer.meta.streamId), 'cancelling');
      const stopDeadline = performance.now() + 2000;
      while (stops.length === 0 && performance.now() < stopDeadline) await sleep(5);
      assert.deepEqual(stops, ['cancel_requested']);
      producer.append({ type: 'finish', finishReason: 'stop' });
      await producer.settled();
    } finally {
      await owner.close();
      await other.close();
    }
  });

  test('Redis dying mid-stream: the owner keeps serving its own readers, a reader elsewhere gets a retryable error', async () => {
    const lines: LogLine[] = [];
    const owner = await createRedisHub(hubOptions(redis.url, lines));
    const other = await createRedisHub(hubOptions(redis.url));
    const producer = await owner.create(newMeta('outage-1'), { stop: () => {} });
    producer.append({ type: 'text-delta', text: 'a ' });
    await producer.settled();
    const localReader = producer.openReader(0);
    const remoteReader = await other.open('outage-1', 0);
    assert.equal((await remoteReader.next())?.length, 1);
    assert.equal((await localReader.next())?.length, 1);
    await redis.kill();
    try {
      producer.append({ type: 'text-delta', text: 'b ' });
      producer.append({ type: 'finish', finishReason: 'stop' });
      await producer.settled();
      assert.deepEqual(
        (await localReader.next())?.map((entry) => entry.sequence),
        [2, 3],
      );
      await assert.rejects(
        Promise.race([remoteReader.next(), sleep(4000).then(() => 'hung')]),
        (error: unknown) => error instanceof SluiceError && error.code === 'overloaded' && error.retryable,
      );
      assert.ok(lines.some((line) => line.level === 'warn'));
    } finally {
      localReader.close();
      remoteReader.close();
      await redis.start();
    }
    await owner.close();
    await other.close();
  });
});
