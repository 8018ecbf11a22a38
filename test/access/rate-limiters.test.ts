/**
 * The memory and Redis limiters against one contract, then what only each can show: the memory
 * limiter's windows on a fake clock, and the Redis limiter shared by two instances at once (atomic: the
 * sum of their admissions is the limit), its keys expiring, and its fallback while Redis is down.
 */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createMemoryRateLimiter } from '../../packages/server/src/pipeline/access/memory-rate-limiter.ts';
import { rateWindowMs } from '../../packages/server/src/pipeline/access/rate-limiter.ts';
import { createRedisRateLimiter } from '../../packages/server/src/pipeline/access/redis-rate-limiter.ts';
import { startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { awayFromWindowEnd, rateLimiterContract } from './rate-limiter-contract.ts';

const quietLogger = { info: () => {}, warn: () => {} };

describe('the memory rate limiter', () => {
  rateLimiterContract(async () => createMemoryRateLimiter());

  test('a new minute starts from zero; a reservation of the old one leaves nothing behind in the new', async () => {
    let now = 10 * rateWindowMs + 1_000;
    const limiter = createMemoryRateLimiter(() => now);
    const limits = { requestsPerMinute: 1, tokensPerMinute: 500 };
    const first = await limiter.admit('key_a', limits, 400);
    assert.ok(first.admitted);
    assert.equal((await limiter.admit('key_a', limits, 1)).admitted, false);
    now += rateWindowMs;
    const second = await limiter.admit('key_a', limits, 400);
    assert.ok(second.admitted, 'a new window');
    await limiter.settle(first.reservation, 90);
    assert.deepEqual(await limiter.current('key_a'), { requests: 1, tokens: 90, reservedTokens: 400, resetMs: rateWindowMs - 1_000 });
    await limiter.settle(second.reservation, 10);
    assert.equal((await limiter.current('key_a')).reservedTokens, 0);
    await limiter.close();
  });

  test('an extension after its window ended moves the reservation to the new one, and its settle releases only that', async () => {
    let now = 20 * rateWindowMs + 5_000;
    const limiter = createMemoryRateLimiter(() => now);
    const limits = { requestsPerMinute: null, tokensPerMinute: 10_000 };
    const long = await limiter.admit('key_b', limits, 1_000);
    assert.ok(long.admitted);
    now += rateWindowMs;
    const other = await limiter.admit('key_b', limits, 400);
    assert.ok(other.admitted);
    await limiter.extend(long.reservation, 500);
    assert.deepEqual([long.reservation.tokens, (await limiter.current('key_b')).reservedTokens], [500, 900]);
    await limiter.settle(long.reservation, 1_400);
    assert.deepEqual([(await limiter.current('key_b')).reservedTokens, (await limiter.current('key_b')).tokens], [400, 1_400], "the other request's reservation stays");
    await limiter.close();
  });
});

describe('the Redis rate limiter', () => {
  let redis: TemporaryRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis?.stop());

  rateLimiterContract(() => createRedisRateLimiter({ url: redis.url, logger: quietLogger }));

  test('two instances admitting at once: together exactly the limit, never more', async () => {
    const [one, two] = await Promise.all([createRedisRateLimiter({ url: redis.url, logger: quietLogger }), createRedisRateLimiter({ url: redis.url, logger: quietLogger })]);
    const keyId = `key_${randomUUID()}`;
    const limits = { requestsPerMinute: 25, tokensPerMinute: null };
    try {
      await awayFromWindowEnd();
      const decisions = await Promise.all(Array.from({ length: 80 }, (_, index) => (index % 2 === 0 ? one : two).admit(keyId, limits, 1)));
      assert.equal(decisions.filter((decision) => decision.admitted).length, 25);
      assert.equal((await one.current(keyId)).requests, 25);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  test('a key’s counts expire after their window: a reservation never settled is not left behind', async () => {
    const limiter = await createRedisRateLimiter({ url: redis.url, logger: quietLogger });
    const client = new Redis(redis.url);
    const keyId = `key_${randomUUID()}`;
    try {
      assert.ok((await limiter.admit(keyId, { requestsPerMinute: 5, tokensPerMinute: 100 }, 50)).admitted);
      const ttlMs = await client.pttl(`sluice:limits:{${keyId}}`);
      assert.ok(ttlMs > 0 && ttlMs <= 2 * rateWindowMs, `expires in ${ttlMs} ms`);
    } finally {
      client.disconnect();
      await limiter.close();
    }
  });

  test('Redis down: admissions are counted by the instance alone, logged once, and shared again once it is back', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const limiter = await createRedisRateLimiter({ url: redis.url, logger: { warn: (_details, message) => warnings.push(message), info: (_details, message) => infos.push(message) } });
    const keyId = `key_${randomUUID()}`;
    const limits = { requestsPerMinute: 2, tokensPerMinute: null };
    try {
      await awayFromWindowEnd();
      assert.ok((await limiter.admit(keyId, limits, 1)).admitted);
      await redis.kill();
      const during = [await limiter.admit(keyId, limits, 1), await limiter.admit(keyId, limits, 1), await limiter.admit(keyId, limits, 1)];
      assert.deepEqual(
        during.map((decision) => decision.admitted),
        [true, true, false],
        'the fallback enforces the limit on its own',
      );
      if (during[0]!.admitted) await limiter.settle(during[0]!.reservation, 1);
      assert.equal(warnings.filter((message) => message.startsWith('The rate limiter cannot reach Redis')).length, 1);
      await redis.start();
      const deadline = performance.now() + 5_000;
      while (!infos.some((message) => message.startsWith('The rate limiter reaches Redis again')) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(infos.length > 0, 'its return is logged');
      assert.ok((await limiter.admit(`key_${randomUUID()}`, limits, 1)).admitted);
    } finally {
      await limiter.close();
    }
  });
});
