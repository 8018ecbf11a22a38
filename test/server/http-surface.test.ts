/** The HTTP surface around the streams: headers, request ids, statuses, bad input, usage, metrics. */

import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSluice } from '../../packages/server/src/server/start-sluice.ts';
import { sluiceReader } from '../support/dialect-readers.ts';
import { eventually, startHarness, upstreamSecret, type Harness } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness({ maxBodyBytes: 4096, models: { fast: 'upstream-fast-1' } });
});
beforeEach(() => {
  harness.fake.setScenario({});
  harness.logs.length = 0;
});
after(() => harness.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${harness.sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const chatBody = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };

describe('headers and request ids', () => {
  for (const [name, path, body] of [
    ['sluice events', '/v1/chat/stream', { prompt: 'hi' }],
    ['openai chat', '/v1/chat/completions', { ...chatBody, stream: true }],
  ] as const) {
    test(`${name}: event-stream headers that survive proxies, never compressed`, async () => {
      const stream = await readStream(`${harness.sluice.url}${path}`, { body, headers: { 'accept-encoding': 'gzip, br, deflate' } });
      assert.equal(stream.headers['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(stream.headers['cache-control'], 'no-cache, no-transform');
      assert.equal(stream.headers['x-accel-buffering'], 'no');
      assert.equal(stream.headers['content-encoding'], undefined);
      assert.match(String(stream.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });
  }

  test("the client's X-Request-Id is kept and appears in the response, the meta event and the log line", async () => {
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' }, headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(stream.headers['x-request-id'], 'trace-abc.123');
    const meta = JSON.parse(stream.messages[0]?.data ?? '{}');
    assert.equal(meta.type, 'meta');
    assert.equal(meta.trace_id, 'trace-abc.123');
    assert.match(meta.stream_id, /^[A-Za-z0-9_-]+$/);
    assert.equal(harness.fake.requests.at(-1)?.headers['x-request-id'], 'trace-abc.123');
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.request_id, 'trace-abc.123');
    for (const field of ['route', 'model', 'outcome', 'time_to_first_token_ms', 'duration_ms', 'tokens']) assert.ok(field in line, field);
  });

  test('a made-up X-Request-Id that could forge log lines is replaced', async () => {
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' }, headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(String(stream.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('every event has an id of <streamId>:<sequence>, strictly increasing', async () => {
    harness.fake.setScenario({ text: 'one two three four' });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' } });
    const ids = stream.messages.map((message) => message.id ?? '');
    const streamId = ids[0]?.split(':')[0];
    assert.ok(ids.every((id) => id.startsWith(`${streamId}:`)));
    const sequences = ids.map((id) => Number(id.split(':')[1]));
    assert.deepEqual(sequences, sequences.map((_, index) => index));
  });
});

describe('upstream failures before the first byte are real HTTP statuses', () => {
  const cases = [
    { scenario: { status: 429, responseHeaders: { 'retry-after': '7' } }, status: 429, code: 'rate_limited' },
    { scenario: { status: 500 }, status: 502, code: 'upstream_error' },
    { scenario: { status: 503 }, status: 502, code: 'upstream_error' },
    { scenario: { status: 400 }, status: 400, code: 'bad_request' },
    {
      scenario: { status: 401, errorBody: { error: { message: `Incorrect API key provided: ${upstreamSecret}`, type: 'invalid_request_error' } } },
      status: 502,
      code: 'upstream_error',
    },
  ];
  for (const path of ['/v1/chat/stream', '/v1/chat/completions']) {
    for (const { scenario, status, code } of cases) {
      test(`${path}: upstream ${scenario.status} → ${status} ${code}`, async () => {
        harness.fake.setScenario(scenario);
        const response = await post(path, path === '/v1/chat/stream' ? { prompt: 'hi' } : { ...chatBody, stream: true });
        assert.equal(response.status, status);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        const text = await response.text();
        const body = JSON.parse(text);
        assert.equal(body.error.code, code);
        assert.equal(typeof body.error.message, 'string');
        assert.ok(!text.includes(upstreamSecret), 'the upstream key never reaches a client');
        assert.ok(!/\bat .+:\d+:\d+/.test(text), 'no stack trace');
        if (status === 429) assert.equal(response.headers.get('retry-after'), '7');
      });
    }
  }

  test('an upstream that refuses connections → 502', async () => {
    const closedPort = await findClosedPort();
    const sluice = await startSluice({ port: 0, openaiBaseUrl: `http://127.0.0.1:${closedPort}/v1`, openaiApiKey: upstreamSecret, logLevel: 'silent' });
    try {
      const response = await fetch(`${sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hi' }) });
      assert.equal(response.status, 502);
      const body = await response.json();
      assert.equal(body.error.code, 'upstream_error');
      assert.match(body.error.message, /ECONNREFUSED/);
    } finally {
      await sluice.close();
    }
  });

  test('an upstream that does not answer within the first-token timeout → 504', async () => {
    const slow = await startHarness({ firstTokenTimeoutMs: 150 });
    try {
      slow.fake.setScenario({ headersDelayMs: 3000 });
      const response = await fetch(`${slow.sluice.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chatBody) });
      assert.equal(response.status, 504);
      assert.equal((await response.json()).error.code, 'upstream_timeout');
    } finally {
      await slow.close();
    }
  });
});

describe('non-streaming chat completions', () => {
  test('answers one chat.completion with usage', async () => {
    harness.fake.setScenario({ text: 'Hello 세계 🌍', usage: { prompt_tokens: 3, completion_tokens: 4 } });
    const response = await post('/v1/chat/completions', chatBody);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.choices[0].message.content, 'Hello 세계 🌍');
    assert.equal(body.choices[0].finish_reason, 'stop');
    assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  test('an upstream that breaks mid-answer is a 502, never a truncated 200', async () => {
    harness.fake.setScenario({ text: 'a b c d', fault: { afterTokens: 2, kind: 'cut' } });
    const response = await post('/v1/chat/completions', chatBody);
    assert.equal(response.status, 502);
    assert.equal((await response.json()).error.code, 'upstream_error');
  });

  test('a client that leaves closes the upstream, as for streams', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const requestsBefore = harness.fake.requests.length;
    const controller = new AbortController();
    const pending = fetch(`${harness.sluice.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chatBody), signal: controller.signal });
    const upstream = await harness.fake.waitForRequest(requestsBefore);
    await eventually(() => upstream.tokensSent > 3, 'some tokens generated');
    controller.abort();
    const abortedAt = performance.now();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.ok((await upstream.socketClosed) - abortedAt < 250);
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.outcome, 'cancelled');
  });
});

describe('bad requests get a JSON error naming the problem, and the server carries on', () => {
  const cases: [string, string, string, string | undefined, number, RegExp][] = [
    ['invalid JSON', 'POST', '/v1/chat/stream', '{"prompt": "hi",', 400, /not valid JSON/],
    ['a JSON array', 'POST', '/v1/chat/stream', '[1,2]', 400, /must be a JSON object/],
    ['an empty body', 'POST', '/v1/chat/completions', '', 400, /empty/],
    ['missing messages', 'POST', '/v1/chat/completions', JSON.stringify({ model: 'x' }), 400, /"messages"/],
    ['ill-typed messages', 'POST', '/v1/chat/completions', JSON.stringify({ model: 'x', messages: 'hello' }), 400, /"messages"/],
    ['a bad role', 'POST', '/v1/chat/completions', JSON.stringify({ model: 'x', messages: [{ role: 'wizard', content: 'x' }] }), 400, /messages\[0\]\.role/],
    ['an empty prompt', 'POST', '/v1/chat/stream', JSON.stringify({ prompt: '   ' }), 400, /"prompt"/],
    ['prompt and messages', 'POST', '/v1/chat/stream', JSON.stringify({ prompt: 'a', messages: [{ role: 'user', content: 'b' }] }), 400, /either "messages" or "prompt"/],
    ['an unknown field', 'POST', '/v1/chat/stream', JSON.stringify({ prompt: 'a', temprature: 1 }), 400, /temprature/],
    ['a temperature out of range', 'POST', '/v1/chat/stream', JSON.stringify({ prompt: 'a', temperature: 9 }), 400, /"temperature"/],
    ['a body over the limit', 'POST', '/v1/chat/stream', JSON.stringify({ prompt: 'x'.repeat(5000) }), 413, /larger than the limit of 4096 bytes/],
    ['GET without a prompt', 'GET', '/v1/chat/stream', undefined, 400, /"prompt"/],
    ['an unknown route', 'GET', '/v1/nothing-here', undefined, 404, /No route GET \/v1\/nothing-here/],
    ['a wrong method', 'DELETE', '/v1/chat/completions', undefined, 405, /not allowed.*use POST/],
  ];
  for (const [name, method, path, body, status, message] of cases) {
    test(`${name} → ${status}`, async () => {
      const response = await fetch(`${harness.sluice.url}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, status);
      const error = (await response.json()).error;
      assert.match(error.message, message);
      assert.equal(typeof error.code, 'string');
      if (status === 405) assert.equal(response.headers.get('allow'), 'POST');
    });
  }

  /** Sends raw bytes on a new connection and returns all that came back once the server closed it (or `waitMs` passed). */
  async function rawExchange(bytes: string[], options: { leave?: boolean; waitMs?: number } = {}): Promise<string> {
    const { port } = new URL(harness.sluice.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    for (const piece of bytes) socket.write(piece);
    if (options.leave) socket.destroy();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, options.waitMs ?? 2000))]);
    socket.destroy();
    return received;
  }

  test('a chunked body (no Content-Length) over the limit → 413 once the limit is passed', async () => {
    const frame = (data: string): string => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
    const received = await rawExchange([
      'POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      frame(`{"prompt":"${'x'.repeat(3000)}`),
      frame('x'.repeat(3000)),
    ]);
    assert.match(received, /^HTTP\/1\.1 413 /);
    assert.match(received, /larger than the limit of 4096 bytes/);
  });

  test('a client that leaves halfway through its body starts no generation', async () => {
    const requestsBefore = harness.fake.requests.length;
    await rawExchange(['POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt":"hal'], { leave: true, waitMs: 100 });
    const response = await fetch(`${harness.sluice.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(harness.fake.requests.length, requestsBefore);
  });

  test('the server is still healthy after all of that', async () => {
    const response = await fetch(`${harness.sluice.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal((await fetch(`${harness.sluice.url}/readyz`)).status, 200);
  });
});

describe('what reaches the upstream', () => {
  test("the client's model and messages arrive unchanged, parameters pass through, usage is asked for", async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Hello' }], name: 'ana' },
    ];
    await (await post('/v1/chat/completions', { model: 'gpt-test', messages, temperature: 0.3, seed: 42, user: 'u1' })).json();
    const body = harness.fake.requests.at(-1)?.body;
    assert.equal(body.model, 'gpt-test');
    assert.deepEqual(body.messages, messages);
    assert.equal(body.temperature, 0.3);
    assert.equal(body.seed, 42);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  test('a model named in the config map is sent as its upstream name', async () => {
    await (await post('/v1/chat/completions', { ...chatBody, model: 'fast' })).json();
    assert.equal(harness.fake.requests.at(-1)?.body.model, 'upstream-fast-1');
  });
});

describe('usage', () => {
  test('a usage event comes before done', async () => {
    harness.fake.setScenario({ text: 'a b c', usage: { prompt_tokens: 9, completion_tokens: 3 } });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' } });
    const types = stream.messages.map((message) => message.event);
    assert.deepEqual(types.slice(-2), ['usage', 'done']);
    assert.deepEqual(JSON.parse(stream.messages.at(-2)?.data ?? ''), { type: 'usage', prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, estimated: false });
  });

  test('a failed stream still reports usage, estimated from what was delivered', async () => {
    harness.fake.setScenario({ text: 'abcd efgh ijkl mnop', fault: { afterTokens: 2, kind: 'cut' } });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' } });
    const usage = stream.messages.map((message) => JSON.parse(message.data)).find((event) => event.type === 'usage');
    assert.equal(usage.estimated, true);
    assert.equal(usage.completion_tokens, Math.ceil('abcd efgh '.length / 4));
    assert.equal(sluiceReader.summarize(stream.messages).ending, 'error');
  });

  test('a cancelled stream logs estimated usage', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 2 });
    const stream = await openStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' } });
    await eventually(() => stream.messages.length > 5, 'a few tokens');
    stream.destroy();
    const line = await harness.waitForLog((record) => record.msg === 'stream ended');
    assert.equal(line.outcome, 'cancelled');
    const tokens = line.tokens as { completion: number; estimated: boolean };
    assert.equal(tokens.estimated, true);
    assert.ok(tokens.completion > 0);
  });
});

describe('metrics', () => {
  test('Prometheus text with active streams, time to first token, tokens, cancellations and upstream errors', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 2 });
    const stream = await openStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'hi' } });
    await eventually(() => stream.messages.length > 3, 'a few tokens');
    const during = await (await fetch(`${harness.sluice.url}/metrics`)).text();
    assert.match(during, /sluice_active_streams\{route="\/v1\/chat\/stream"\} 1/);
    stream.destroy();
    await eventually(() => harness.sluice.activeStreams() === 0, 'the stream to end');
    harness.fake.setScenario({ status: 500 });
    await (await post('/v1/chat/stream', { prompt: 'hi' })).text();
    const text = await (await fetch(`${harness.sluice.url}/metrics`)).text();
    assert.match(text, /sluice_cancellations_total\{reason="client_closed"\} [1-9]/);
    assert.match(text, /sluice_upstream_errors_total\{code="upstream_error"\} [1-9]/);
    assert.match(text, /sluice_time_to_first_token_seconds_count\{route="\/v1\/chat\/stream",model="[^"]+",provider="openai"\} [1-9]/);
    assert.match(text, /sluice_tokens_relayed_total\{route="\/v1\/chat\/stream",model="[^"]+",provider="openai"\} [1-9]/);
    assert.match(text, /sluice_active_streams\{route="\/v1\/chat\/stream"\} 0/);
  });
});

async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
