/**
 * Every dialect refuses what it must, in its own error shape and before anything reaches the upstream:
 * no key, a bad key, a revoked key, an expired key (401), a model the key may not use (403), a key over
 * its requests per minute (429 with OpenAI's rate-limit headers). Then the official SDKs see those
 * refusals as their own error types, with `maxRetries: 0` where a 429 must stay a 429.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, DefaultChatTransport, generateText } from 'ai';
import OpenAI from 'openai';
import { dialectReaders } from '../support/dialect-readers.ts';
import { startAccessHarness, type AccessHarness, type CreatedKey } from './access-harness.ts';

let harness: AccessHarness;
let good: CreatedKey;
let revoked: CreatedKey;
let expired: CreatedKey;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function send(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(`${harness.sluice.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // A stream: the tests below look at its status only.
  }
  return { status: response.status, headers: response.headers, body };
}

/** The dialect's error shape: Anthropic's on /v1/messages, OpenAI's everywhere else. */
function errorTypeOf(path: string, answer: Answer): string {
  if (path === '/v1/messages') {
    assert.equal(answer.body.type, 'error', JSON.stringify(answer.body));
    return answer.body.error.type;
  }
  assert.equal(typeof answer.body.error?.message, 'string', JSON.stringify(answer.body));
  return answer.body.error.code;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

before(async () => {
  harness = await startAccessHarness();
  [good, revoked, expired] = await Promise.all([
    harness.createKey({ name: 'good', models: ['gpt-*', 'claude-*'] }),
    harness.createKey({ name: 'revoked' }),
    harness.createKey({ name: 'expired', expires_at: new Date(Date.now() + 3_600_000).toISOString() }),
  ]);
  assert.equal((await harness.admin(`/admin/keys/${revoked.id}`, { method: 'DELETE' })).status, 200);
  assert.equal((await harness.admin(`/admin/keys/${expired.id}`, { method: 'PATCH', body: { expires_at: '2001-02-03T04:05:06Z' } })).status, 200);
});

after(() => harness?.close());

for (const reader of dialectReaders) {
  describe(`${reader.name} (${reader.path})`, () => {
    const refusals: [string, () => Record<string, string>, string, string][] = [
      ['no key', () => ({}), 'unauthorized', 'authentication_error'],
      ['a key that does not exist', () => bearer('sk-sluice-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 'unauthorized', 'authentication_error'],
      ['a revoked key', () => bearer(revoked.key), 'unauthorized', 'authentication_error'],
      ['an expired key', () => ({ 'x-api-key': expired.key }), 'unauthorized', 'authentication_error'],
    ];
    for (const [what, headers, code, anthropicType] of refusals) {
      test(`${what}: 401 in the dialect's shape, nothing sent upstream`, async () => {
        const upstreamBefore = harness.fake.requests.length;
        const answer = await send(reader.path, { body: reader.body('hello'), headers: headers() });
        assert.equal(answer.status, 401);
        assert.equal(errorTypeOf(reader.path, answer), reader.path === '/v1/messages' ? anthropicType : code);
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="sluice"');
        assert.equal(harness.fake.requests.length, upstreamBefore);
      });
    }

    test('a model the key may not use: 403 naming it', async () => {
      const upstreamBefore = harness.fake.requests.length;
      const answer = await send(reader.path, { body: { ...reader.body('hello'), model: 'llama-3' }, headers: bearer(good.key) });
      assert.equal(answer.status, 403);
      assert.equal(errorTypeOf(reader.path, answer), reader.path === '/v1/messages' ? 'permission_error' : 'forbidden');
      assert.match(JSON.stringify(answer.body), /llama-3/);
      assert.equal(harness.fake.requests.length, upstreamBefore);
    });

    test('the good key streams, by either header', async () => {
      harness.fake.setScenario({ text: 'Fine, thanks.' });
      const byBearer = await send(reader.path, { body: reader.body('hello'), headers: bearer(good.key) });
      const byApiKey = await send(reader.path, { body: reader.body('hello'), headers: { 'x-api-key': good.key } });
      assert.equal(byBearer.status, 200);
      assert.equal(byApiKey.status, 200);
    });

    test('over its requests per minute: 429 in the dialect\'s shape with retry-after and the x-ratelimit headers', async () => {
      const limited = await harness.createKey({ name: `limited ${reader.name}`, rpm: 1, tpm: 100_000 });
      harness.fake.setScenario({ text: 'One.' });
      const first = await send(reader.path, { body: reader.body('hello'), headers: bearer(limited.key) });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-ratelimit-limit-requests'), '1');
      assert.equal(first.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '100000');
      const second = await send(reader.path, { body: reader.body('hello'), headers: bearer(limited.key) });
      assert.equal(second.status, 429);
      assert.equal(errorTypeOf(reader.path, second), reader.path === '/v1/messages' ? 'rate_limit_error' : 'rate_limited');
      const retryAfter = Number(second.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
      assert.equal(second.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.match(second.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+ms|\d+(\.\d+)?s|1m0s)$/);
      assert.match(second.headers.get('x-ratelimit-reset-tokens') ?? '', /^(\d+ms|\d+(\.\d+)?s|1m0s)$/);
    });
  });
}

describe('the other /v1 routes', () => {
  test('streams, collections and stream tokens need a key too; the probes do not', async () => {
    for (const [method, path] of [
      ['GET', '/v1/streams/abcdefghijkl'],
      ['DELETE', '/v1/streams/abcdefghijkl'],
      ['GET', '/v1/collections'],
      ['GET', '/v1/chat/stream?prompt=hi'],
      ['GET', '/v1/chat/text?prompt=hi'],
      ['POST', '/v1/stream-tokens'],
    ] as const) {
      const answer = await send(path, { method });
      assert.equal(answer.status, 401, `${method} ${path}`);
    }
    assert.equal((await send('/healthz')).status, 200);
    assert.equal((await send('/readyz')).status, 200);
  });
});

describe('the official SDKs', () => {
  test('openai: AuthenticationError, PermissionDeniedError, and a RateLimitError carrying the headers', async () => {
    const limited = await harness.createKey({ name: 'openai sdk limited', rpm: 1 });
    const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${harness.sluice.url}/v1`, maxRetries: 0, logLevel: 'off' });
    const ask = (apiKey: string, model = 'gpt-test') => client(apiKey).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(ask(revoked.key), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.status === 401);
    await assert.rejects(ask(good.key, 'llama-3'), (error: unknown) => error instanceof OpenAI.PermissionDeniedError);
    harness.fake.setScenario({ text: 'ok' });
    assert.equal((await ask(limited.key)).choices[0]?.message.content, 'ok');
    await assert.rejects(ask(limited.key), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.headers.get('x-ratelimit-limit-requests'), '1');
      assert.equal((error.error as { code?: string }).code, 'rate_limited');
      return true;
    });
  });

  test('anthropic: its AuthenticationError, PermissionDeniedError and RateLimitError, with Anthropic error types', async () => {
    const limited = await harness.createKey({ name: 'anthropic sdk limited', rpm: 1 });
    const client = (apiKey: string) => new Anthropic({ apiKey, baseURL: harness.sluice.url, maxRetries: 0, logLevel: 'off' });
    const ask = (apiKey: string, model = 'claude-test') => client(apiKey).messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(ask(expired.key), (error: unknown) => {
      assert.ok(error instanceof Anthropic.AuthenticationError);
      assert.equal((error.error as { error?: { type?: string } }).error?.type, 'authentication_error');
      return true;
    });
    await assert.rejects(ask(good.key, 'llama-3'), (error: unknown) => error instanceof Anthropic.PermissionDeniedError);
    harness.fake.setScenario({ text: 'ok' });
    await ask(limited.key);
    await assert.rejects(ask(limited.key), (error: unknown) => {
      assert.ok(error instanceof Anthropic.RateLimitError);
      assert.equal((error.error as { error?: { type?: string } }).error?.type, 'rate_limit_error');
      return true;
    });
  });

  test('ai sdk: generateText and the chat transport raise the status with the key refused', async () => {
    const provider = createOpenAICompatible({ name: 'sluice', baseURL: `${harness.sluice.url}/v1`, apiKey: revoked.key });
    await assert.rejects(generateText({ model: provider('gpt-test'), prompt: 'hi', maxRetries: 0 }), (error: unknown) => APICallError.isInstance(error) && error.statusCode === 401);
    const transport = new DefaultChatTransport({ api: `${harness.sluice.url}/v1/ui-message-stream`, headers: bearer(good.key), body: { model: 'llama-3' } });
    await assert.rejects(
      transport.sendMessages({ chatId: 'chat-1', messageId: undefined, trigger: 'submit-message', abortSignal: undefined, messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }),
      (error: unknown) => /llama-3/.test(String((error as Error).message)),
    );
  });
});
