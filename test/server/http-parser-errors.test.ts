/** What Node's HTTP parser refuses before a request exists: a JSON error with the right status, read by real clients. */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { get, maxHeaderSize } from 'node:http';
import { connect, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { answerClientError } from '../../packages/server/src/server/http/answer-client-error.ts';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';

let sluice: SluiceInstance;
before(async () => {
  sluice = await startSluice({ port: 0, logLevel: 'silent' });
});
after(() => sluice.close());

interface Answer {
  status: number;
  contentType: string;
  error: { message: string; code: string; type: string };
}

function getWithNodeHttp(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(`${sluice.url}${path}`, { headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type']), error: JSON.parse(text).error }));
    }).on('error', reject);
  });
}

async function getWithFetch(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${sluice.url}${path}`, { headers });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', error: (await response.json()).error };
}

async function getWithCurl(path: string): Promise<Answer> {
  const { stdout } = await promisify(execFile)('curl', ['-sS', '-w', '\n%{http_code} %{content_type}', `${sluice.url}${path}`]);
  const [body, statusLine] = stdout.split('\n');
  const [status, contentType] = (statusLine ?? '').split(' ');
  return { status: Number(status), contentType: contentType ?? '', error: JSON.parse(body ?? '').error };
}

/** Sends raw bytes on a new connection and returns what came back once the server closed it. */
async function rawExchange(bytes: string): Promise<string> {
  const { port } = new URL(sluice.url);
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.end(bytes);
  await closed;
  return received;
}

function bodyOf(raw: string): { error: { message: string; code: string } } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

describe('a head over Node’s 16 KiB limit', () => {
  for (const promptBytes of [20_000, 100_000]) {
    const path = `/v1/chat/text?prompt=${'x'.repeat(promptBytes)}`;
    for (const [client, send] of [
      ['node:http', getWithNodeHttp],
      ['fetch', getWithFetch],
      ['curl', getWithCurl],
    ] as const) {
      test(`a ${promptBytes / 1000} kB GET prompt, from ${client}: 414 saying the limit and to POST instead`, async () => {
        const answer = await send(path);
        assert.equal(answer.status, 414);
        assert.match(answer.contentType, /^application\/json/);
        assert.equal(answer.error.code, 'bad_request');
        assert.match(answer.error.message, new RegExp(`The URL is longer than the ${maxHeaderSize}-byte limit on the request line and headers together; send a long prompt in a POST body`));
      });
    }
  }

  test('a 20 kB header: 431 saying the limit', async () => {
    for (const send of [getWithNodeHttp, getWithFetch]) {
      const answer = await send('/healthz', { cookie: 'x'.repeat(20_000) });
      assert.equal(answer.status, 431);
      assert.match(answer.error.message, new RegExp(`The request headers are larger than the ${maxHeaderSize}-byte limit`));
    }
  });
});

describe('malformed requests: 400 naming what the parser found', () => {
  const cases: [string, string, RegExp][] = [
    ['a header line without a colon', 'GET /healthz HTTP/1.1\r\nHost: sluice\r\nno colon here\r\n\r\n', /Malformed HTTP\/1\.1 request: .+ \(HPE_[A-Z_]+\)/],
    ['Content-Length and Transfer-Encoding both', 'POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', /Malformed HTTP\/1\.1 request: .*Content-Length.*\(HPE_[A-Z_]+\)/i],
    ['a bad chunk size', 'POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /Malformed HTTP\/1\.1 request: .+ \(HPE_INVALID_CHUNK_SIZE\)/],
    ['not HTTP at all', 'HELLO\r\n\r\n', /Malformed HTTP\/1\.1 request: .+ \(HPE_[A-Z_]+\)/],
  ];
  for (const [name, bytes, message] of cases) {
    test(name, async () => {
      const raw = await rawExchange(bytes);
      assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(raw, /\r\ncontent-type: application\/json; charset=utf-8\r\n/);
      const { error } = bodyOf(raw);
      assert.equal(error.code, 'bad_request');
      assert.match(error.message, message);
    });
  }

  test('chunk extensions over 16 KiB: 413', async () => {
    const raw = await rawExchange(`POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;${'x'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    assert.match(bodyOf(raw).error.message, /extensions larger than the 16384-byte limit/);
  });

  test('a request that did not arrive in time: 408 (Node reports it once a server has a headers or request timeout)', async () => {
    const server = createServer((socket) => answerClientError(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
      let raw = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk));
      await new Promise((resolve) => socket.once('close', resolve));
      assert.match(raw, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(bodyOf(raw).error.message, /did not arrive in time/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('the server is still healthy after all of that', async () => {
    assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200);
  });
});
