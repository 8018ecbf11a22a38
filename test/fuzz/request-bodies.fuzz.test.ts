/**
 * Generated request bodies for every JSON endpoint: arbitrary JSON, valid bodies with fields replaced,
 * removed or added, bytes that are not JSON, nesting past the limit. Each gets a valid answer or a 4xx
 * with a JSON error (never a 5xx), no secret, and the process stays up.
 *
 * Two properties expect what issue 11 ("edges") brings, and fail without it: an oversized body is a 413
 * that a Node `http` client can read (without it, an EPIPE), and a body that is not `application/json`
 * is a 415. They are apart, under "(issue 11)", so that what depends on it shows.
 */

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { maxJsonDepth } from '../../packages/server/src/server/http/check-json-depth.ts';
import { startHarness, upstreamSecret, type Harness } from '../support/sluice-harness.ts';
import { assertNoSecret } from '../hardening/support/assert-no-secret.ts';
import { fuzzParameters } from './support/fuzz-parameters.ts';

const maxBodyBytes = 64 * 1024;
const chat = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };

/** Each JSON endpoint with a body it accepts. */
const endpoints: { path: string; valid: Record<string, unknown> }[] = [
  { path: '/v1/chat/completions', valid: { ...chat, stream: true } },
  { path: '/v1/chat/completions', valid: chat },
  { path: '/v1/messages', valid: { ...chat, max_tokens: 16, stream: true } },
  { path: '/v1/responses', valid: { model: 'gpt-test', input: 'hi', stream: true } },
  { path: '/v1/ui-message-stream', valid: { messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] } },
  { path: '/v1/chat/stream', valid: { prompt: 'hi' } },
  { path: '/v1/chat/text', valid: { prompt: 'hi' } },
  { path: '/v1/collections/fuzz/documents', valid: { id: 'a.md', title: 'A', text: '# A\n\nSome text.' } },
];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The request's own write failed (EPIPE, ECONNRESET) before an answer could be read. */
  writeError?: string;
}

/** POSTs with node:http, as Node clients do, and reads whatever answer comes, even after a failed write. */
function post(url: string, body: string | Buffer, contentType = 'application/json', chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let writeError: string | undefined;
    const headers: Record<string, string | number> = { 'content-type': contentType };
    if (!chunked) headers['content-length'] = Buffer.byteLength(body);
    const sent = httpRequest(url, { method: 'POST', headers, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, writeError }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, writeError }));
    });
    sent.on('error', (error: NodeJS.ErrnoException) => {
      writeError = error.code ?? error.message;
      // No response at all: report the failed write as the answer.
      setTimeout(() => resolve({ status: 0, headers: {}, body: '', writeError }), 200);
    });
    if (chunked) {
      // Without a length the server learns the size only by reading: sent in 16 KiB pieces.
      const bytes = Buffer.from(body);
      for (let start = 0; start < bytes.length; start += 16_384) sent.write(bytes.subarray(start, start + 16_384));
      sent.end();
    } else {
      sent.end(body);
    }
    void reject;
  });
}

/** A 4xx JSON error of OpenAI's or Anthropic's shape, naming what was wrong. */
function assertClientError(answer: Answer, context: string): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `${context}: ${answer.status} ${answer.writeError ?? ''} ${answer.body.slice(0, 300)}`);
  const error = (JSON.parse(answer.body) as { error?: { message?: unknown } }).error;
  assert.equal(typeof error?.message, 'string', `${context}: ${answer.body}`);
}

/** A successful answer is whole: an event stream that finished, or a JSON body. */
function assertAnswered(answer: Answer, context: string): void {
  if (answer.status !== 200) return assertClientError(answer, context);
  assert.ok(answer.body.length > 0, context);
}

const anyJson = fc.jsonValue({ maxDepth: 4 });

describe('fuzzed request bodies', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ maxBodyBytes, maxUploadBytes: maxBodyBytes, retrievalSqlitePath: ':memory:' });
  });
  after(async () => {
    assert.equal((await fetch(`${harness.sluice.url}/healthz`)).status, 200, 'the process answers after every case');
    await harness.close();
  });

  test('arbitrary JSON in place of a body is a 4xx naming the problem, or an answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), anyJson, async (endpoint, body) => {
        const answer = await post(`${harness.sluice.url}${endpoint.path}`, JSON.stringify(body));
        assertAnswered(answer, `${endpoint.path} ${JSON.stringify(body).slice(0, 200)}`);
        assertNoSecret(answer.body, [upstreamSecret]);
      }),
      fuzzParameters(40),
    );
  });

  test('a valid body with a field replaced, removed or added is answered, or refused with a 400 naming the field', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), value: anyJson }),
      fc.record({ kind: fc.constant('remove' as const) }),
      fc.record({ kind: fc.constant('add' as const), name: fc.string({ minLength: 1, maxLength: 12 }), value: anyJson }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), fc.nat(), mutation, async (endpoint, pick, change) => {
        const body: Record<string, unknown> = structuredClone(endpoint.valid);
        const fields = Object.keys(body);
        const field = change.kind === 'add' ? change.name : fields[pick % fields.length]!;
        if (change.kind === 'remove') delete body[field];
        else body[field] = change.value;
        const answer = await post(`${harness.sluice.url}${endpoint.path}`, JSON.stringify(body));
        const context = `${endpoint.path} ${JSON.stringify(body).slice(0, 300)}`;
        assertAnswered(answer, context);
        if (answer.status === 200 && String(answer.headers['content-type']).startsWith('text/event-stream')) {
          assert.match(answer.body, /(event: (done|message_stop|error|response\.completed|response\.failed)|data: \[DONE\])/, context);
        }
        assertNoSecret(answer.body, [upstreamSecret]);
      }),
      fuzzParameters(60),
    );
  });

  test('bytes that are not JSON, and JSON nested past the limit, are a 400', async () => {
    const notJson = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)).filter((bytes) => !isJson(bytes.toString('utf8'))),
      fc.string({ minLength: 1, maxLength: 200 }).filter((text) => !isJson(text)).map((text) => Buffer.from(text)),
      fc.integer({ min: maxJsonDepth + 1, max: 3000 }).map((depth) => Buffer.from(`{"prompt":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), notJson, async (endpoint, body) => {
        const answer = await post(`${harness.sluice.url}${endpoint.path}`, body);
        assert.equal(answer.status, 400, `${endpoint.path} ${JSON.stringify(body.toString('latin1').slice(0, 200))}: ${answer.body}`);
        assertClientError(answer, endpoint.path);
      }),
      fuzzParameters(40),
    );
  });

  describe('(issue 11) what the edge work makes right', () => {
    test('an oversized body is a 413 that a Node http client reads', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), fc.integer({ min: maxBodyBytes + 1, max: 64 * maxBodyBytes }), fc.boolean(), async (endpoint, bytes, chunked) => {
          const body = JSON.stringify({ ...endpoint.valid, padding: 'x'.repeat(bytes) });
          const answer = await post(`${harness.sluice.url}${endpoint.path}`, body, 'application/json', chunked);
          assert.equal(answer.status, 413, `${endpoint.path} with ${bytes} bytes${chunked ? ', chunked' : ''}: ${answer.writeError ?? answer.body}`);
        }),
        fuzzParameters(20),
      );
    });

    test('a body that is not application/json is a 415', async () => {
      const contentType = fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/plain;charset=UTF-8');
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...endpoints), contentType, async (endpoint, type) => {
          const answer = await post(`${harness.sluice.url}${endpoint.path}`, JSON.stringify(endpoint.valid), type);
          assert.equal(answer.status, 415, `${endpoint.path} as ${type}: ${answer.body.slice(0, 200)}`);
        }),
        fuzzParameters(20),
      );
    });
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
