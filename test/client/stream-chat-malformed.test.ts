import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { streamChat, type SluiceClientError } from '@sluice/client';
import { meta, sse, startScriptedServer, writeSseHead, type ScriptedServer } from './support/scripted-server.ts';

type Route = (response: ServerResponse) => void;

describe('streamChat with malformed streams and HTTP errors', () => {
  let server: ScriptedServer;
  let route: Route;
  before(async () => {
    server = await startScriptedServer((_request, response) => route(response));
  });
  after(() => server.close());

  const run = () => streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', reconnect: false }).text();

  it('rejects an event that is not JSON, naming it', async () => {
    route = (response) => {
      writeSseHead(response);
      response.end(`${sse(meta(), 1)}id: s1:2\nevent: token\ndata: {"type":"token","delta":"oops\n\n`);
    };
    await assert.rejects(run(), {
      name: 'SluiceClientError',
      code: 'malformed_stream',
      message: /not valid JSON: \{"type":"token","delta":"oops/,
    });
  });

  it('rejects an event without a type, or with a field of the wrong type', async () => {
    route = (response) => {
      writeSseHead(response);
      response.end(`${sse(meta(), 1)}data: {"delta":"x"}\n\n`);
    };
    await assert.rejects(run(), { code: 'malformed_stream', message: /no string "type"/ });
    route = (response) => {
      writeSseHead(response);
      response.end(`${sse(meta(), 1)}data: {"type":"token","delta":42}\n\n`);
    };
    await assert.rejects(run(), { code: 'malformed_stream', message: /"token" event has no string "delta"/ });
  });

  it('rejects a 200 that is not an event stream', async () => {
    route = (response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Captive portal</h1>');
    await assert.rejects(run(), { code: 'malformed_stream', message: 'Expected a text/event-stream response, got text/html', status: 200 });
  });

  it('rejects a stream that ends without done or error', async () => {
    route = (response) => {
      writeSseHead(response);
      response.end(sse(meta(), 1) + sse({ type: 'token', delta: 'Half an ans' }, 2));
    };
    await assert.rejects(run(), { code: 'truncated_stream' });
  });

  it('rejects a stream whose last event is cut before its blank line', async () => {
    route = (response) => {
      writeSseHead(response);
      response.end(`${sse(meta(), 1)}event: done\ndata: {"type":"done","finish_reason":"stop"}\n`);
    };
    await assert.rejects(run(), { code: 'truncated_stream' });
  });

  it("keeps the server's code, message, status and retry-after from an OpenAI-style error body", async () => {
    route = (response) =>
      response
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
        .end(JSON.stringify({ error: { message: 'Slow down', type: 'rate_limit_error', code: 'rate_limited', param: null } }));
    await assert.rejects(run(), (error: SluiceClientError) => {
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.message, 'Slow down');
      assert.equal(error.status, 429);
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterSeconds, 7);
      return true;
    });
  });

  it('names the bad field of a 400', async () => {
    route = (response) =>
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({
            error: {
              message: 'messages[0].role must be a string',
              type: 'invalid_request_error',
              code: 'bad_request',
              param: 'messages[0].role',
            },
          }),
        );
    await assert.rejects(run(), {
      code: 'bad_request',
      status: 400,
      retryable: false,
      param: 'messages[0].role',
      message: 'messages[0].role must be a string',
    });
  });

  it('falls back to the status when the error body is not JSON', async () => {
    route = (response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad   gateway</body></html>');
    await assert.rejects(run(), {
      code: 'upstream_error',
      status: 502,
      retryable: true,
      message: 'HTTP 502 Bad Gateway: <html><body>Bad gateway</body></html>',
    });
    route = (response) => response.writeHead(401).end();
    await assert.rejects(run(), { code: 'unauthorized', status: 401, message: 'HTTP 401 Unauthorized' });
  });
});
