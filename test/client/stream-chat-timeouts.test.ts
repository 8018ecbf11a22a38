import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { streamChat } from '@sluice/client';
import {
  meta,
  ping,
  sse,
  startScriptedServer,
  writeSseHead,
  type ScriptedRequest,
  type ScriptedServer,
} from './support/scripted-server.ts';

const timeoutMs = 150;
/** Timers may fire late on a busy machine, never early. */
const lateToleranceMs = 500;

type Route = (request: ScriptedRequest, response: ServerResponse) => Promise<void> | void;

describe('streamChat content timeouts', () => {
  let server: ScriptedServer;
  let route: Route;
  before(async () => {
    server = await startScriptedServer((request, response) => route(request, response));
  });
  after(() => server.close());

  /** Runs `schedule` every `intervalMs` until the client closes the request. */
  async function every(request: ScriptedRequest, intervalMs: number, schedule: () => void): Promise<void> {
    const timer = setInterval(schedule, intervalMs);
    await request.closed;
    clearInterval(timer);
  }

  it('fails with first_token_timeout when only heartbeats arrive, and closes the request', async () => {
    route = async (request, response) => {
      writeSseHead(response);
      response.write(sse(meta(), 1));
      await every(request, 20, () => response.write(ping));
    };
    const startedAt = performance.now();
    await assert.rejects(
      streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', firstTokenTimeoutMs: timeoutMs, cancelOnAbort: false }).text(),
      {
        code: 'first_token_timeout',
        message: `No token arrived within ${timeoutMs} ms`,
      },
    );
    const elapsedMs = performance.now() - startedAt;
    assert.ok(elapsedMs >= timeoutMs && elapsedMs < timeoutMs + lateToleranceMs, `timed out after ${elapsedMs} ms`);
    assert.equal((await server.requests.at(-1)!.closed).byClient, true);
  });

  it('counts the time to first token from the request, so a server that never answers times out too', async () => {
    route = () => {};
    await assert.rejects(streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', firstTokenTimeoutMs: timeoutMs }).text(), {
      code: 'first_token_timeout',
    });
    assert.equal((await server.requests.at(-1)!.closed).byClient, true);
  });

  it('fails with idle_timeout when heartbeats follow the last token, and keeps what arrived', async () => {
    route = async (request, response) => {
      writeSseHead(response);
      response.write(sse(meta(), 1) + sse({ type: 'token', delta: 'Hel' }, 2));
      await every(request, 20, () => response.write(ping));
    };
    const tokens: string[] = [];
    const startedAt = performance.now();
    await assert.rejects(
      streamChat({
        baseUrl: server.baseUrl,
        prompt: 'Hi',
        idleTimeoutMs: timeoutMs,
        firstTokenTimeoutMs: 10_000,
        onToken: (delta) => tokens.push(delta),
      }).text(),
      { code: 'idle_timeout' },
    );
    const elapsedMs = performance.now() - startedAt;
    assert.ok(elapsedMs >= timeoutMs && elapsedMs < timeoutMs + lateToleranceMs, `timed out after ${elapsedMs} ms`);
    assert.deepEqual(tokens, ['Hel']);
    assert.equal((await server.requests.at(-1)!.closed).byClient, true);
  });

  it('does not fire while tokens keep coming, however long the whole answer takes', async () => {
    route = async (request, response) => {
      writeSseHead(response);
      response.write(sse(meta(), 1));
      let sequence = 2;
      const timer = setInterval(() => {
        if (sequence === 12) {
          clearInterval(timer);
          response.end(sse({ type: 'done', finish_reason: 'stop' }, sequence));
          return;
        }
        response.write(ping + sse({ type: 'token', delta: 'x' }, sequence++));
      }, timeoutMs / 3);
      await request.closed;
      clearInterval(timer);
    };
    // Ten tokens at a third of the timeout apart: the whole answer takes twice the timeout.
    const text = await streamChat({
      baseUrl: server.baseUrl,
      prompt: 'Hi',
      idleTimeoutMs: timeoutMs,
      firstTokenTimeoutMs: timeoutMs,
    }).text();
    assert.equal(text, 'x'.repeat(10));
  });

  it('leaves no timer behind once the stream ends', async () => {
    route = (_request, response) => {
      writeSseHead(response);
      response.end(sse(meta(), 1) + sse({ type: 'token', delta: 'ok' }, 2) + sse({ type: 'done', finish_reason: 'stop' }, 3));
    };
    const before = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    await streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', idleTimeoutMs: 60_000, firstTokenTimeoutMs: 60_000 }).text();
    assert.equal(process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length, before);
  });
});
