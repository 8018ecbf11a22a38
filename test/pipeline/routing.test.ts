/**
 * Routing: model names, aliases and patterns to providers; fallbacks before the first byte, with backoff
 * that honours retry-after; never a retry once the client has a byte.
 */

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { createModelRouter, type RouteConfig } from '../../packages/server/src/pipeline/route-model.ts';
import type { Provider } from '../../packages/server/src/providers/provider.ts';
import { loadSettings, SettingsError } from '../../packages/server/src/server/config/settings.ts';
import { openaiChatReader } from '../support/dialect-readers.ts';
import { startHarness, upstreamSecret, type Harness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';

function fakeProvider(name: string): Provider {
  return { name, demo: name === 'demo', continuation: { method: 'instruction', trimsTrailingWhitespace: false }, stream: () => Promise.reject(new Error('not used')) };
}

describe('model routing', () => {
  const providers = new Map([
    ['openai', fakeProvider('openai')],
    ['anthropic', fakeProvider('anthropic')],
    ['local', fakeProvider('local')],
  ]);
  const routes: Record<string, RouteConfig> = {
    'gpt-4o*': { provider: 'local', model: 'llama-3-70b' },
    '*-mini': { provider: 'anthropic', model: 'never-reached' },
    'gpt-4o-mini': { provider: 'openai', fallbacks: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }, { provider: 'local' }] },
    smart: { provider: 'anthropic', model: 'claude-opus-4-5' },
  };
  const route = createModelRouter({ providers, defaultProvider: 'openai', demo: fakeProvider('demo'), demoModel: 'sluice-demo', models: { fast: 'gpt-4o-mini' }, routes });
  const targets = (model: string) => route(model).targets.map((target) => `${target.providerName}:${target.upstreamModel}`);

  test('an exact name wins over patterns, and its fallbacks follow it in order', () => {
    assert.deepEqual(targets('gpt-4o-mini'), ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:gpt-4o-mini']);
    assert.deepEqual(targets('smart'), ['anthropic:claude-opus-4-5']);
  });

  test('patterns are tried in the order written', () => {
    assert.deepEqual(targets('gpt-4o-2024-08-06'), ['local:llama-3-70b']);
    assert.deepEqual(targets('o4-mini'), ['anthropic:never-reached']);
  });

  test('an alias is resolved before routing, and the client still sees the name it asked for', () => {
    assert.deepEqual(targets('fast'), ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:gpt-4o-mini']);
    assert.equal(route('fast').displayModel, 'fast');
  });

  test('unrouted claude-* go to anthropic, everything else to the default provider', () => {
    assert.deepEqual(targets('claude-sonnet-4-5'), ['anthropic:claude-sonnet-4-5']);
    assert.deepEqual(targets('mistral-large'), ['openai:mistral-large']);
  });

  test('the demo model answers to its name, and to every name when no upstream is configured', () => {
    assert.deepEqual(targets('sluice-demo'), ['demo:sluice-demo']);
    const demoOnly = createModelRouter({ providers: new Map(), defaultProvider: undefined, demo: fakeProvider('demo'), demoModel: 'sluice-demo', models: {}, routes: {} });
    assert.deepEqual(demoOnly('gpt-4o').targets.map((target) => target.providerName), ['demo']);
    assert.equal(demoOnly('gpt-4o').displayModel, 'sluice-demo');
  });
});

describe('routing settings', () => {
  test('routes and providers come from JSON in the environment or the config file', () => {
    const settings = loadSettings({
      OPENAI_API_KEY: 'sk-x',
      SLUICE_PROVIDERS: '{"local":{"type":"openai-chat","baseUrl":"http://localhost:8000/v1/"}}',
      SLUICE_ROUTES: '{"llama-*":{"provider":"local"},"gpt-4o":{"provider":"openai","fallbacks":[{"provider":"local","model":"llama"}]}}',
    });
    assert.deepEqual(settings.providers, { local: { type: 'openai-chat', baseUrl: 'http://localhost:8000/v1' } });
    assert.deepEqual(settings.routes['gpt-4o'], { provider: 'openai', fallbacks: [{ provider: 'local', model: 'llama' }] });
  });

  test('a bad route or provider stops startup with a message naming the key and the fault', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ SLUICE_ROUTES: '{"a":' }, /Invalid SLUICE_ROUTES: expected JSON such as/],
      [{ SLUICE_ROUTES: '{"a":{"model":"x"}}' }, /Invalid SLUICE_ROUTES: route "a": "provider" must be a provider name/],
      [{ SLUICE_ROUTES: '{"a":{"provider":"demo","fallback":[]}}' }, /route "a" has an unknown field "fallback"/],
      [{ SLUICE_ROUTES: '{"a":{"provider":"demo","fallbacks":[{"model":"x"}]}}' }, /route "a" fallbacks\[0\]: "provider" must be a provider name/],
      [{ SLUICE_ROUTES: '{"claude-*":{"provider":"anthropic"}}' }, /route "claude-\*" names provider "anthropic", which is not configured \(set ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL\)/],
      [{ SLUICE_PROVIDERS: '{"openai":{"type":"openai-chat","baseUrl":"http://x"}}' }, /Invalid SLUICE_PROVIDERS: provider "openai" is built in/],
      [{ SLUICE_PROVIDERS: '{"x":{"type":"gemini","baseUrl":"http://x"}}' }, /provider "x": "type" must be one of openai-chat, openai-responses, anthropic-messages/],
      [{ SLUICE_PROVIDERS: '{"x":{"type":"openai-chat","baseUrl":"localhost:8000"}}' }, /provider "x": "baseUrl" must be an http\(s\) URL/],
      [{ ANTHROPIC_BASE_URL: 'not a url' }, /Invalid ANTHROPIC_BASE_URL: expected an http\(s\) URL/],
      [{ SLUICE_ROUTES: '{"a":{"provider":"demo","continueOnFailure":true}}' }, /route "a": "continueOnFailure" must be an object such as/],
      [{ SLUICE_ROUTES: '{"a":{"provider":"demo","continueOnFailure":{"on":["disconnect"],"max":2}}}' }, /"on" must be a non-empty array of connection, timeout, upstream_error, got \["disconnect"\]/],
      [{ SLUICE_ROUTES: '{"a":{"provider":"demo","continueOnFailure":{"on":["timeout"],"max":0}}}' }, /"max" must be a whole number from 1 to 10, got 0/],
      [{ SLUICE_ROUTES: '{"a":{"provider":"demo","continueOnFailure":{"on":["timeout"],"tries":2}}}' }, /"continueOnFailure" has an unknown field "tries"/],
      [{ SLUICE_PROVIDERS: '{"x":{"type":"openai-chat","baseUrl":"http://x","continuation":"echo"}}' }, /provider "x": "continuation" must be one of prefill, continue-final-message, instruction, got "echo"/],
    ];
    for (const [environment, message] of cases) {
      assert.throws(() => loadSettings(environment), (error: unknown) => error instanceof SettingsError && message.test(error.message), JSON.stringify(environment));
    }
  });
});

describe('fallbacks before the first byte', () => {
  /** OpenAI and Anthropic both point at one fake; `gpt-test` falls back from OpenAI to Anthropic. */
  const withFallback = (extra: Record<string, unknown> = {}) => (fake: { url: string }) => ({
    anthropicBaseUrl: fake.url,
    anthropicApiKey: upstreamSecret,
    fallbackBackoffMs: 1,
    routes: { 'gpt-test': { provider: 'openai', fallbacks: [{ provider: 'anthropic', model: 'claude-fallback' }] } },
    ...extra,
  });

  const ask = (harness: Harness) => readStream(`${harness.sluice.url}/v1/chat/completions`, { body: openaiChatReader.body('hi') });

  for (const [label, failure] of [
    ['a 429', { status: 429 }],
    ['a 500', { status: 500 }],
    ['a 529 overload', { status: 529 }],
  ] as const) {
    test(`${label} from the primary sends the request to the fallback, and the client sees only the answer`, async () => {
      const harness = await startHarness(withFallback());
      try {
        harness.fake.setScenario((request) => (request.path === '/v1/chat/completions' ? failure : { text: 'from the fallback' }));
        const stream = await ask(harness);
        assert.equal(stream.status, 200);
        assert.equal(openaiChatReader.summarize(stream.messages).text, 'from the fallback');
        assert.deepEqual(
          harness.fake.requests.map((request) => [request.path, request.body?.model]),
          [
            ['/v1/chat/completions', 'gpt-test'],
            ['/v1/messages', 'claude-fallback'],
          ],
        );
        const fallbackLine = await harness.waitForLog((line) => line.msg === 'upstream failed before the first byte; trying the fallback');
        assert.equal(fallbackLine.provider, 'openai');
        assert.equal(fallbackLine.fallback, 'anthropic');
        const end = await harness.waitForLog((line) => line.msg === 'stream ended');
        assert.equal(end.provider, 'anthropic');
        assert.equal(end.model, 'gpt-test');
      } finally {
        await harness.close();
      }
    });
  }

  test('a refused connection falls back', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const harness = await startHarness((fake) => ({
      openaiBaseUrl: `http://127.0.0.1:${closedPort}/v1`,
      ...withFallback()(fake),
    }));
    try {
      const stream = await ask(harness);
      assert.equal(stream.status, 200);
      assert.equal(openaiChatReader.summarize(stream.messages).ending, 'done');
      assert.equal(harness.fake.requests.length, 1);
    } finally {
      await harness.close();
    }
  });

  test('an upstream that sends no headers within fallbackAfterMs is abandoned (its socket closed) for the fallback', async () => {
    const harness = await startHarness(withFallback({ fallbackAfterMs: 150 }));
    try {
      harness.fake.setScenario((request) => (request.path === '/v1/chat/completions' ? { headersDelayMs: 10_000 } : { text: 'quick one' }));
      const startedAt = performance.now();
      const stream = await ask(harness);
      assert.equal(openaiChatReader.summarize(stream.messages).text, 'quick one');
      assert.ok(performance.now() - startedAt < 2_000, 'the slow upstream was not waited for');
      await harness.fake.requests[0]?.socketClosed;
    } finally {
      await harness.close();
    }
  });

  test('retry-after is honoured before the same provider is tried again, and a longer one than allowed is not waited for', async () => {
    const sameProvider = (maxRetryAfterMs: number) => ({
      fallbackBackoffMs: 1,
      maxRetryAfterMs,
      routes: { 'gpt-test': { provider: 'openai', fallbacks: [{ provider: 'openai' }] } },
    });
    const harness = await startHarness(sameProvider(5_000));
    try {
      harness.fake.setScenario((request) => (harness.fake.requests.indexOf(request) === 0 ? { status: 429, responseHeaders: { 'retry-after': '1' } } : {}));
      const stream = await ask(harness);
      assert.equal(stream.status, 200);
      const [first, second] = harness.fake.requests;
      assert.ok(first && second);
      assert.ok(second.receivedAt - first.receivedAt >= 950, `retried after ${second.receivedAt - first.receivedAt} ms`);
    } finally {
      await harness.close();
    }
    const impatient = await startHarness(sameProvider(500));
    try {
      impatient.fake.setScenario({ status: 429, responseHeaders: { 'retry-after': '30' } });
      const stream = await ask(impatient);
      assert.equal(stream.status, 429);
      assert.equal(stream.headers['retry-after'], '30');
      assert.equal(impatient.fake.requests.length, 1);
    } finally {
      await impatient.close();
    }
  });

  test('a request the upstream refuses (400) is not retried elsewhere', async () => {
    const harness = await startHarness(withFallback());
    try {
      harness.fake.setScenario({ status: 400 });
      const stream = await ask(harness);
      assert.equal(stream.status, 400);
      assert.equal(harness.fake.requests.length, 1);
    } finally {
      await harness.close();
    }
  });

  test('when every target fails, the client gets the last failure as a real HTTP status', async () => {
    const harness = await startHarness(withFallback());
    try {
      harness.fake.setScenario((request) => (request.path === '/v1/chat/completions' ? { status: 429 } : { status: 529 }));
      const stream = await ask(harness);
      assert.equal(stream.status, 503);
      assert.equal(JSON.parse(stream.raw()).error.code, 'overloaded');
      assert.equal(harness.fake.requests.length, 2);
    } finally {
      await harness.close();
    }
  });

  test('after the first byte a failure is in-band and never retried', async () => {
    const harness = await startHarness(withFallback());
    try {
      harness.fake.setScenario({ text: 'a b c d e f', fault: { afterTokens: 2, kind: 'cut' } });
      const stream = await ask(harness);
      const summary = openaiChatReader.summarize(stream.messages);
      assert.equal(summary.text, 'a b ');
      assert.equal(summary.ending, 'error');
      assert.equal(harness.fake.requests.length, 1);
    } finally {
      await harness.close();
    }
  });
});
