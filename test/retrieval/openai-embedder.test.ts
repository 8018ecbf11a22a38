import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { SluiceError } from '@sluice/protocol';
import { createOpenAiEmbedder } from '../../packages/server/src/retrieval/openai-embedder.ts';
import { startEmbeddingsServer } from './embeddings-server.ts';

const apiKey = 'sk-secret-0123456789';

/** A one-off embeddings endpoint; returns its base URL and the request bodies it received. */
async function serve(t: TestContext, handler: RequestListener): Promise<{ baseUrl: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
    bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/`, bodies };
}

function respond(status: number, body: unknown, headers: Record<string, string> = {}): RequestListener {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

async function rejection(promise: Promise<unknown>): Promise<SluiceError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof SluiceError, String(error));
  assert.ok(!error.message.includes(apiKey), 'the key is never in a message');
  return error;
}

describe('createOpenAiEmbedder', () => {
  it('posts the OpenAI request shape, splits large batches, and returns vectors in input order', async (t) => {
    const server = await startEmbeddingsServer(16);
    t.after(() => server.close());
    const embedder = createOpenAiEmbedder({ baseUrl: server.baseUrl, apiKey: server.apiKey, model: 'm', maxInputsPerRequest: 2 });
    const vectors = await embedder.embed(['anchor', 'buoy', 'anchor']);
    assert.equal(vectors.length, 3);
    assert.ok(vectors.every((vector) => vector instanceof Float32Array && vector.length === 16));
    assert.deepEqual(vectors[0], vectors[2]);
    assert.notDeepEqual(vectors[0], vectors[1]);
    assert.deepEqual(
      server.requests.map(({ authorization, inputCount }) => [authorization, inputCount]),
      [
        [`Bearer ${server.apiKey}`, 2],
        [`Bearer ${server.apiKey}`, 1],
      ],
    );
    assert.deepEqual(await embedder.embed([]), []);
  });

  it('orders vectors by their index and sends dimensions when asked', async (t) => {
    const { baseUrl, bodies } = await serve(
      t,
      respond(200, {
        data: [
          { index: 1, embedding: [0, 1] },
          { index: 0, embedding: [1, 0] },
        ],
      }),
    );
    const vectors = await createOpenAiEmbedder({ baseUrl, model: 'm', dimensions: 2 }).embed(['first', 'second']);
    assert.deepEqual(
      vectors.map((vector) => [...vector]),
      [
        [1, 0],
        [0, 1],
      ],
    );
    assert.deepEqual(bodies[0], { model: 'm', input: ['first', 'second'], encoding_format: 'float', dimensions: 2 });
  });

  it('turns HTTP errors into typed errors without quoting the body', async (t) => {
    const { baseUrl } = await serve(t, respond(401, { error: { message: `Incorrect API key provided: ${apiKey}` } }));
    const unauthorized = await rejection(createOpenAiEmbedder({ baseUrl, apiKey, model: 'm' }).embed(['x']));
    assert.deepEqual([unauthorized.code, unauthorized.retryable], ['upstream_error', false]);
    assert.match(unauthorized.message, /HTTP 401 \(check the embeddings API key\)/);

    const limited = await serve(t, respond(429, { error: { message: apiKey } }, { 'retry-after': '7' }));
    const rateLimited = await rejection(createOpenAiEmbedder({ baseUrl: limited.baseUrl, apiKey, model: 'm' }).embed(['x']));
    assert.deepEqual([rateLimited.code, rateLimited.retryAfterSeconds], ['rate_limited', 7]);

    const failing = await serve(t, respond(503, apiKey));
    const unavailable = await rejection(createOpenAiEmbedder({ baseUrl: failing.baseUrl, apiKey, model: 'm' }).embed(['x']));
    assert.deepEqual([unavailable.code, unavailable.retryable], ['upstream_error', true]);
  });

  it('refuses responses of the wrong shape', async (t) => {
    for (const [body, reason] of [
      ['not json', /not JSON/],
      [{ data: [] }, /expected 1 embeddings/],
      [{ data: [{ index: 0, embedding: ['a'] }] }, /data\[0\]\.embedding/],
      [{ data: [{ index: 5, embedding: [1] }] }, /data\[0\]\.index/],
    ] as const) {
      const { baseUrl } = await serve(t, respond(200, body));
      const error = await rejection(createOpenAiEmbedder({ baseUrl, model: 'm' }).embed(['x']));
      assert.equal(error.code, 'upstream_error');
      assert.match(error.message, reason);
    }
    const { baseUrl } = await serve(t, respond(200, { data: [{ embedding: [1, 2] }, { embedding: [1] }] }));
    assert.match((await rejection(createOpenAiEmbedder({ baseUrl, model: 'm' }).embed(['x', 'y']))).message, /differ in length/);
  });

  it('times out a silent endpoint, reports a cancel as cancelled, and an unreachable one as upstream_error', async (t) => {
    const { baseUrl } = await serve(t, () => {});
    const timedOut = await rejection(createOpenAiEmbedder({ baseUrl, model: 'm', timeoutMs: 50 }).embed(['x']));
    assert.deepEqual([timedOut.code, timedOut.message], ['upstream_timeout', 'Embeddings endpoint did not answer within 50 ms']);

    const controller = new AbortController();
    const pending = createOpenAiEmbedder({ baseUrl, model: 'm' }).embed(['x'], controller.signal);
    setTimeout(() => controller.abort(), 20);
    assert.equal((await rejection(pending)).code, 'cancelled');

    const unreachable = await rejection(createOpenAiEmbedder({ baseUrl: `http://user:${apiKey}@127.0.0.1:1/v1`, model: 'm' }).embed(['x']));
    assert.deepEqual([unreachable.code, unreachable.message], ['upstream_error', 'Embeddings endpoint could not be reached']);
  });

  it('refuses a response larger than its limit', async (t) => {
    const { baseUrl } = await serve(t, respond(200, { data: [{ index: 0, embedding: Array(1000).fill(0.5) }] }));
    const error = await rejection(createOpenAiEmbedder({ baseUrl, model: 'm', maxResponseBytes: 1000 }).embed(['x']));
    assert.match(error.message, /larger than the limit of 1000 bytes/);
  });
});
