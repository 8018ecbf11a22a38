import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { streamChat } from '@sluice/client';
import { delay, meta, sse, startScriptedServer, writeSseHead, type ScriptedServer } from './support/scripted-server.ts';

/** The server sees the client's socket close within this; loopback makes it far less in practice. */
const closeBudgetMs = 500;

describe('streamChat cancel', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer(async (request, response) => {
      if (request.method === 'DELETE') {
        response.writeHead(204).end();
        return;
      }
      if (request.body.includes('hold-headers')) return; // never answers
      writeSseHead(response);
      response.write(sse(meta('s-cancel'), 1));
      let sequence = 2;
      const timer = setInterval(() => response.write(sse({ type: 'token', delta: 'tick ' }, sequence++, 's-cancel')), 10);
      await request.closed;
      clearInterval(timer);
    });
  });
  after(() => server.close());

  it('closes the request when the signal aborts mid-stream, rejects with cancelled, and sends DELETE', async () => {
    const controller = new AbortController();
    const errors: unknown[] = [];
    let tokens = 0;
    let abortedAt = 0;
    const consumed = (async () => {
      for await (const event of streamChat({
        baseUrl: server.baseUrl,
        prompt: 'Hi',
        signal: controller.signal,
        onError: (error) => errors.push(error),
      })) {
        if (event.type === 'token' && ++tokens === 3) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    })();
    await assert.rejects(consumed, { name: 'SluiceClientError', code: 'cancelled' });
    const request = server.requests.find((candidate) => candidate.method === 'POST' && !candidate.body.includes('hold'))!;
    const closed = await request.closed;
    assert.equal(closed.byClient, true);
    assert.ok(closed.atMs - abortedAt < closeBudgetMs);
    assert.equal(errors.length, 0, 'a cancel is not reported as an error');
    await waitFor(() => server.requests.some((candidate) => candidate.method === 'DELETE'));
    const cancel = server.requests.find((candidate) => candidate.method === 'DELETE')!;
    assert.equal(cancel.path, '/v1/streams/s-cancel');
  });

  it('closes the request when the loop breaks, without an error', async () => {
    const requestsBefore = server.requests.length;
    for await (const event of streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', cancelOnAbort: false })) {
      if (event.type === 'token') break;
    }
    const closed = await server.requests[requestsBefore]!.closed;
    assert.equal(closed.byClient, true);
    await delay(20);
    assert.equal(server.requests.length, requestsBefore + 1, 'cancelOnAbort: false sends no DELETE');
  });

  it('closes a request whose response has not started', async () => {
    const stream = streamChat({ baseUrl: server.baseUrl, prompt: 'hold-headers' });
    const pending = stream.text();
    await waitFor(() => server.requests.some((request) => request.body.includes('hold-headers')));
    stream.abort();
    await assert.rejects(pending, { code: 'cancelled' });
    const closed = await server.requests.find((request) => request.body.includes('hold-headers'))!.closed;
    assert.equal(closed.byClient, true);
  });

  it('never sends a request when the signal is already aborted', async () => {
    const requestsBefore = server.requests.length;
    await assert.rejects(streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', signal: AbortSignal.abort() }).text(), { code: 'cancelled' });
    assert.equal(server.requests.length, requestsBefore);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const startedAt = performance.now();
  while (!condition()) {
    if (performance.now() - startedAt > timeoutMs) throw new Error('condition not met in time');
    await delay(5);
  }
}
