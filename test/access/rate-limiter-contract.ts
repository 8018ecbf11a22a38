/** The contract of a rate limiter: the memory and Redis limiters run the same tests. */

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { rateWindowMs, type RateLimiter } from '../../packages/server/src/pipeline/access/rate-limiter.ts';

/** Waits out the last two seconds of a window, so that a test's admissions all fall in one. */
export async function awayFromWindowEnd(): Promise<void> {
  const left = rateWindowMs - (Date.now() % rateWindowMs);
  if (left < 2_000) await sleep(left + 20);
}

const noTokens = { requestsPerMinute: null, tokensPerMinute: null };

export function rateLimiterContract(open: () => Promise<RateLimiter>): void {
  test('requests per minute: the limit is admitted, the next refused, and a refusal counts nothing', async () => {
    const limiter = await open();
    const keyId = `key_${randomUUID()}`;
    const limits = { requestsPerMinute: 3, tokensPerMinute: null };
    try {
      await awayFromWindowEnd();
      const remaining: number[] = [];
      for (let index = 0; index < 3; index += 1) {
        const decision = await limiter.admit(keyId, limits, 10);
        assert.equal(decision.admitted, true);
        remaining.push(decision.state.requestsRemaining);
      }
      assert.deepEqual(remaining, [2, 1, 0]);
      const refused = await limiter.admit(keyId, limits, 10);
      assert.equal(refused.admitted, false);
      assert.equal(!refused.admitted && refused.exceeded, 'requests');
      assert.ok(refused.state.resetMs > 0 && refused.state.resetMs <= rateWindowMs, `reset in ${refused.state.resetMs} ms`);
      assert.equal((await limiter.current(keyId)).requests, 3);
    } finally {
      await limiter.close();
    }
  });

  test('tokens per minute: reservations count until settled, then the tokens really used count instead', async () => {
    const limiter = await open();
    const keyId = `key_${randomUUID()}`;
    const limits = { requestsPerMinute: null, tokensPerMinute: 1000 };
    try {
      await awayFromWindowEnd();
      const first = await limiter.admit(keyId, limits, 400);
      const second = await limiter.admit(keyId, limits, 400);
      assert.ok(first.admitted && second.admitted);
      assert.equal(second.state.tokensRemaining, 200);
      const third = await limiter.admit(keyId, limits, 400);
      assert.equal(!third.admitted && third.exceeded, 'tokens');
      const during = await limiter.current(keyId);
      assert.deepEqual([during.requests, during.tokens, during.reservedTokens], [2, 0, 800]);
      await limiter.settle(first.reservation, 100);
      const fourth = await limiter.admit(keyId, limits, 400);
      assert.ok(fourth.admitted, 'the settled reservation made room');
      assert.equal(fourth.state.tokensRemaining, 100);
      await limiter.settle(second.reservation, 350);
      await limiter.settle(fourth.reservation, 0);
      const after = await limiter.current(keyId);
      assert.deepEqual([after.requests, after.tokens, after.reservedTokens], [3, 450, 0], 'no reservation left');
    } finally {
      await limiter.close();
    }
  });

  test('a request streaming past its reservation extends it: the more it holds counts at once, and its settle releases it all', async () => {
    const limiter = await open();
    const keyId = `key_${randomUUID()}`;
    const limits = { requestsPerMinute: null, tokensPerMinute: 1000 };
    try {
      await awayFromWindowEnd();
      const decision = await limiter.admit(keyId, limits, 300);
      assert.ok(decision.admitted);
      await limiter.extend(decision.reservation, 300);
      await limiter.extend(decision.reservation, 300);
      assert.equal(decision.reservation.tokens, 900);
      assert.equal((await limiter.current(keyId)).reservedTokens, 900);
      assert.equal((await limiter.admit(keyId, limits, 200)).admitted, false, 'what it streams counts before it settles');
      await limiter.settle(decision.reservation, 850);
      const after = await limiter.current(keyId);
      assert.deepEqual([after.tokens, after.reservedTokens], [850, 0]);
    } finally {
      await limiter.close();
    }
  });

  test('a reservation larger than the tokens per minute is cut to it, so that it still fits an empty minute', async () => {
    const limiter = await open();
    const keyId = `key_${randomUUID()}`;
    const limits = { requestsPerMinute: null, tokensPerMinute: 1000 };
    try {
      await awayFromWindowEnd();
      const decision = await limiter.admit(keyId, limits, 50_000);
      assert.ok(decision.admitted);
      assert.equal(decision.reservation.tokens, 1000);
      assert.equal(decision.state.tokensRemaining, 0);
      assert.equal((await limiter.admit(keyId, limits, 1)).admitted, false);
    } finally {
      await limiter.close();
    }
  });

  test('keys are counted apart, and a key without limits is still counted for its usage', async () => {
    const limiter = await open();
    const [a, b] = [`key_${randomUUID()}`, `key_${randomUUID()}`];
    try {
      await awayFromWindowEnd();
      assert.ok((await limiter.admit(a, { requestsPerMinute: 1, tokensPerMinute: null }, 5)).admitted);
      assert.ok((await limiter.admit(b, { requestsPerMinute: 1, tokensPerMinute: null }, 5)).admitted);
      const free = await limiter.admit(a, noTokens, 5);
      assert.ok(free.admitted);
      assert.equal((await limiter.current(a)).requests, 2);
    } finally {
      await limiter.close();
    }
  });
}
