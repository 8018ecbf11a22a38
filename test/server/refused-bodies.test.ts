/**
 * Bodies refused before they were read (413 over the limit, 415 without a JSON content type): every real
 * client reads the JSON answer instead of EPIPE or a reset, a client that never stops sending is cut, and
 * no endpoint takes a body a cross-site page could send without a preflight.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { discardLimits } from '../../packages/server/src/server/http/discard-request-body.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';

const maxBodyBytes = 4096;
const mebibyte = 1_048_576;

// Its own process, as users run it: in one process the client and the server share an event loop, and the
// reset that made 32 of 40 node:http clients report EPIPE (issue 15) did not show.
let sluice: SluiceProcess;
const dataFolder = mkdtempSync(join(tmpdir(), 'sluice-refused-'));
before(async () => {
  sluice = await spawnSluice({
    SLUICE_MAX_BODY_BYTES: String(maxBodyBytes),
    SLUICE_RETRIEVAL_SQLITE_PATH: join(dataFolder, 'retrieval.db'),
    // The requests that are taken get the demo model's answer at once.
    SLUICE_DEMO_TOKENS_PER_SECOND: '100000',
    SLUICE_DEMO_FIRST_TOKEN_DELAY_MS: '0',
  });
});
after(async () => {
  await sluice.stop();
  rmSync(dataFolder, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One node:http POST writing `bodyBytes` in 16 KiB pieces, as a client uploading a file does (with
 * backpressure). Rejects when anything failed, the upload included, even after the answer arrived.
 */
function postWithNodeHttp(path: string, bodyBytes: number, options: { chunked: boolean; contentType?: string }): Promise<Answer> {
  const piece = Buffer.alloc(16_384, 'x');
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': options.contentType ?? 'application/json' };
    if (!options.chunked) headers['content-length'] = bodyBytes;
    let answer: Answer | undefined;
    let failure: Error | undefined;
    const outgoing = request(`${sluice.url}${path}`, { method: 'POST', headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (answer = { status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', (error) => (failure ??= error));
    });
    outgoing.on('error', (error) => (failure ??= error));
    outgoing.on('close', () => (answer && !failure ? resolve(answer) : reject(failure ?? new Error('no answer'))));
    let written = 0;
    const writeMore = (): void => {
      while (written < bodyBytes) {
        const next = piece.subarray(0, Math.min(piece.length, bodyBytes - written));
        written += next.length;
        if (!outgoing.write(next)) {
          outgoing.once('drain', writeMore);
          return;
        }
      }
      outgoing.end();
    };
    writeMore();
  });
}

function assertTooLarge(answer: Answer): void {
  assert.equal(answer.status, 413, answer.body);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  const { error } = JSON.parse(answer.body);
  assert.equal(error.code, 'payload_too_large');
  assert.match(error.message, /larger than the limit of 4096 bytes/);
}

describe('413: an oversized body is answered, and the client reads it', () => {
  for (const chunked of [false, true]) {
    test(`40 node:http clients at once, ${chunked ? 'chunked' : 'with Content-Length'}, 3 MiB each: all 40 read the 413`, async () => {
      const answers = await Promise.allSettled(Array.from({ length: 40 }, () => postWithNodeHttp('/v1/chat/stream', 3 * mebibyte, { chunked })));
      const failures = answers.filter((answer) => answer.status === 'rejected').map((answer) => String((answer as PromiseRejectedResult).reason));
      assert.deepEqual(failures, [], 'no client got EPIPE or a reset');
      for (const answer of answers) assertTooLarge((answer as PromiseFulfilledResult<Answer>).value);
    });
  }

  test('fetch, with a buffered body and with a streamed one', async () => {
    const body = Buffer.alloc(2 * mebibyte, 'x');
    const buffered = await fetch(`${sluice.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assertTooLarge({ status: buffered.status, headers: Object.fromEntries(buffered.headers), body: await buffered.text() });
    const streamed = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    assertTooLarge({ status: streamed.status, headers: Object.fromEntries(streamed.headers), body: await streamed.text() });
  });

  test('curl', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sluice-upload-'));
    try {
      const file = join(folder, 'body.json');
      writeFileSync(file, Buffer.alloc(2 * mebibyte, 'x'));
      const { stdout } = await promisify(execFile)('curl', ['-sS', '-H', 'content-type: application/json', '--data-binary', `@${file}`, '-w', '\n%{http_code}', `${sluice.url}/v1/chat/stream`]);
      const [body, status] = stdout.split('\n');
      assertTooLarge({ status: Number(status), headers: { 'content-type': 'application/json' }, body: body ?? '' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('on /v1/messages too, in Anthropic’s shape', async () => {
    const answer = await postWithNodeHttp('/v1/messages', mebibyte, { chunked: true });
    assert.equal(answer.status, 413);
    assert.deepEqual(JSON.parse(answer.body), { type: 'error', error: { type: 'request_too_large', message: 'Request body is larger than the limit of 4096 bytes' } });
  });

  test(`a client that sends more than ${discardLimits.maxBytes / mebibyte} MiB past the limit has the 413 at once, then is cut`, async () => {
    const { port } = new URL(sluice.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const piece = Buffer.alloc(65_536, 'x');
    const plannedBytes = maxBodyBytes + discardLimits.maxBytes + 16 * mebibyte;
    let sentBytes = 0;
    const cut = new Promise<void>((resolve) => {
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
    socket.write(`POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\nContent-Length: ${plannedBytes}\r\n\r\n`);
    const sendMore = (): void => {
      while (sentBytes < plannedBytes && !socket.destroyed) {
        sentBytes += piece.length;
        if (!socket.write(piece)) {
          socket.once('drain', sendMore);
          return;
        }
      }
    };
    sendMore();
    await cut;
    socket.destroy();
    assert.match(received, /^HTTP\/1\.1 413 /);
    assert.match(received, /larger than the limit of 4096 bytes/);
    assert.ok(sentBytes < plannedBytes, `cut after ${sentBytes} of ${plannedBytes} bytes`);
  });

  test(`a client that trickles its body is cut after ${discardLimits.maxMs} ms`, async () => {
    const { port } = new URL(sluice.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    socket.write(`POST /v1/chat/stream HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\nContent-Length: ${10 * mebibyte}\r\n\r\n`);
    socket.write('x'.repeat(maxBodyBytes + 1));
    const startedAt = performance.now();
    const trickle = setInterval(() => socket.write('x'), 100);
    try {
      const closedAt = await closed;
      assert.match(received, /^HTTP\/1\.1 413 /);
      const elapsedMs = closedAt - startedAt;
      assert.ok(elapsedMs >= discardLimits.maxMs - 100 && elapsedMs < discardLimits.maxMs + 3000, `closed after ${Math.round(elapsedMs)} ms`);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });
});

describe('415: every endpoint that takes a JSON body takes only application/json', () => {
  const endpoints: { path: string; body: unknown; anthropic?: boolean }[] = [
    { path: '/v1/chat/completions', body: { model: 'sluice-demo', messages: [{ role: 'user', content: 'hi' }] } },
    { path: '/v1/messages', body: { model: 'sluice-demo', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, anthropic: true },
    { path: '/v1/responses', body: { model: 'sluice-demo', input: 'hi' } },
    { path: '/v1/ui-message-stream', body: { messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] } },
    { path: '/v1/chat/stream', body: { prompt: 'hi' } },
    { path: '/v1/chat/text', body: { prompt: 'hi' } },
    { path: '/v1/collections/handbook/documents', body: { id: 'leave.md', title: 'Leave', text: 'Thirty days a year.' } },
  ];
  // What a cross-site page can send without a preflight: fetch with mode 'no-cors' and a string body, a form.
  const refusedTypes = ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined];

  for (const { path, body, anthropic } of endpoints) {
    test(`${path}: ${refusedTypes.length} content types refused with 415${anthropic ? ', in Anthropic’s shape' : ''}, application/json taken in any case`, async () => {
      for (const contentType of refusedTypes) {
        const response = await fetch(`${sluice.url}${path}`, {
          method: 'POST',
          headers: { origin: 'https://elsewhere.example', ...(contentType === undefined ? {} : { 'content-type': contentType }) },
          body: contentType === undefined ? new Blob([JSON.stringify(body)]) : JSON.stringify(body),
        });
        assert.equal(response.status, 415, `${contentType}`);
        const answer = await response.json();
        const got = contentType === undefined ? 'got no Content-Type' : `got ${JSON.stringify(contentType)}`;
        assert.equal(answer.error.message, `Content-Type must be application/json (a charset parameter may follow), ${got}`);
        if (anthropic) assert.deepEqual(answer, { type: 'error', error: { type: 'invalid_request_error', message: answer.error.message } });
        else assert.equal(answer.error.code, 'unsupported_media_type');
      }
      const taken = await fetch(`${sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'Application/JSON; Charset=UTF-8' }, body: JSON.stringify(body) });
      assert.equal(taken.status, 200, await taken.clone().text());
      await taken.body?.cancel();
    });
  }

  test('a refused upload replaces nothing', async () => {
    const upload = (text: string, contentType: string) =>
      fetch(`${sluice.url}/v1/collections/notes/documents`, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ id: 'a.md', title: 'A', text }) });
    assert.equal((await upload('The original text.', 'application/json')).status, 200);
    assert.equal((await upload('Replaced from another site.', 'text/plain;charset=UTF-8')).status, 415);
    const listing = await (await fetch(`${sluice.url}/v1/collections/notes/documents`)).json();
    assert.equal(listing.documents[0].text_bytes, Buffer.byteLength('The original text.'));
  });
});
