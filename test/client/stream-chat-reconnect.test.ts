import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import { streamChat, type ReconnectInfo, type ResumeInfo, type SluiceEvent } from '@sluice/client';
import {
  delay,
  meta,
  sse,
  startScriptedServer,
  writeSseHead,
  type ScriptedRequest,
  type ScriptedServer,
} from './support/scripted-server.ts';

const words = ['one ', 'two ', 'three ', 'four ', 'five'];
/** The whole stream as the server numbers it: meta is 1, the words 2..6, done 7. */
const numbered: SluiceEvent[] = [
  meta('s-r'),
  ...words.map((delta): SluiceEvent => ({ type: 'token', delta })),
  { type: 'done', finish_reason: 'stop' },
];
const fastReconnect = { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 };

type Route = (request: ScriptedRequest, response: ServerResponse) => void;

describe('streamChat reconnect', () => {
  let server: ScriptedServer;
  let route: Route;
  before(async () => {
    server = await startScriptedServer((request, response) => route(request, response));
  });
  afterEach(() => server.requests.splice(0));
  after(() => server.close());

  /** Sends events first..last (1-based, inclusive); `cut` destroys the socket after them, as a dropped network would. */
  function sendRange(response: ServerResponse, first: number, last: number, ending: 'cut' | 'end'): void {
    writeSseHead(response);
    response.write(
      numbered
        .slice(first - 1, last)
        .map((event, index) => sse(event, first + index, 's-r'))
        .join(''),
    );
    if (ending === 'cut') setTimeout(() => response.destroy(), 5);
    else response.end();
  }

  it('resumes with Last-Event-ID after a drop, skips replayed events, and loses nothing', async () => {
    route = (request, response) => {
      if (request.method === 'POST') sendRange(response, 1, 3, 'cut');
      // Replays one event too many (3): the client must not deliver it twice.
      else sendRange(response, 3, 7, 'end');
    };
    const reconnects: ReconnectInfo[] = [];
    const resumes: ResumeInfo[] = [];
    const result = await streamChat({
      baseUrl: server.baseUrl,
      prompt: 'Hi',
      reconnect: fastReconnect,
      onReconnect: (info) => reconnects.push(info),
      onResume: (info) => resumes.push(info),
    }).result();
    assert.equal(result.text, words.join(''));
    assert.equal(result.reconnects, 1);
    assert.deepEqual(resumes, [{ attempt: 1, streamId: 's-r', lastEventId: 's-r:3' }]);
    assert.equal(reconnects.length, 1);
    assert.equal(reconnects[0]!.attempt, 1);
    assert.equal(reconnects[0]!.lastEventId, 's-r:3');
    assert.equal(reconnects[0]!.error.code, 'network_error');
    const resume = server.requests[1]!;
    assert.equal(resume.method, 'GET');
    assert.equal(resume.path, '/v1/streams/s-r');
    assert.equal(resume.headers['last-event-id'], 's-r:3');
    assert.equal(resume.headers.accept, 'text/event-stream');
  });

  it('resumes a stream that ended without done, and keeps resuming across several drops', async () => {
    let resumes = 0;
    route = (request, response) => {
      if (request.method === 'POST') return sendRange(response, 1, 2, 'end');
      resumes += 1;
      const from = Number(String(request.headers['last-event-id']).split(':')[1]) + 1;
      if (resumes === 1) return sendRange(response, from, from + 1, 'cut');
      sendRange(response, from, 7, 'end');
    };
    const events: string[] = [];
    const reconnects: ReconnectInfo[] = [];
    for await (const event of streamChat({
      baseUrl: server.baseUrl,
      prompt: 'Hi',
      reconnect: fastReconnect,
      onReconnect: (info) => reconnects.push(info),
    })) {
      events.push(event.type === 'token' ? event.delta : event.type);
    }
    assert.deepEqual(events, ['meta', ...words, 'done']);
    assert.deepEqual(
      reconnects.map((info) => [info.error.code, info.lastEventId]),
      [
        ['truncated_stream', 's-r:2'],
        ['network_error', 's-r:4'],
      ],
    );
  });

  it('ends with resume_unavailable and the server message when the server cannot resume', async () => {
    route = (request, response) => {
      if (request.method === 'POST') return sendRange(response, 1, 3, 'cut');
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { message: 'Unknown stream s-r', type: 'invalid_request_error', code: 'not_found', param: null } }),
      );
    };
    const tokens: string[] = [];
    const resumes: ResumeInfo[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of streamChat({
          baseUrl: server.baseUrl,
          prompt: 'Hi',
          reconnect: fastReconnect,
          onResume: (info) => resumes.push(info),
        })) {
          if (event.type === 'token') tokens.push(event.delta);
        }
      })(),
      (error: Error & { code?: string; status?: number }) => {
        assert.equal(error.code, 'resume_unavailable');
        assert.equal(error.status, 404);
        assert.match(error.message, /could not resume stream s-r: Unknown stream s-r/);
        return true;
      },
    );
    assert.deepEqual(tokens, ['one ', 'two ']);
    assert.deepEqual(resumes, [], 'a refused resume is not a resume');
    await delay(20);
    assert.deepEqual(
      server.requests.map((request) => request.method),
      ['POST', 'GET'],
      'one resume attempt, never a second POST, and no DELETE for a stream the server does not know',
    );
  });

  it('gives up with network_error after maxAttempts failed resumes in a row', async () => {
    route = (request, response) => {
      if (request.method === 'POST') return sendRange(response, 1, 2, 'cut');
      if (request.method === 'DELETE') return void response.writeHead(204).end();
      response
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'Draining', code: 'overloaded' } }));
    };
    await assert.rejects(streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', reconnect: fastReconnect }).text(), {
      code: 'network_error',
      message: /gave up after 3 reconnect attempts/,
    });
    await delay(20);
    assert.deepEqual(
      server.requests.map((request) => request.method),
      ['POST', 'GET', 'GET', 'GET', 'DELETE'],
      'three resumes, then a cancel in case the server keeps generating for a resume',
    );
  });

  it('does not repeat the first request when the connection drops before the stream id is known', async () => {
    route = (_request, response) => {
      writeSseHead(response);
      response.write(': ping\n\n');
      setTimeout(() => response.destroy(), 5);
    };
    await assert.rejects(streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', reconnect: fastReconnect }).text(), { code: 'network_error' });
    await delay(20);
    assert.deepEqual(
      server.requests.map((request) => request.method),
      ['POST'],
      'no resume without a stream id, and nothing to cancel',
    );
  });

  it('fails at the first drop with reconnect: false', async () => {
    route = (_request, response) => sendRange(response, 1, 3, 'end');
    await assert.rejects(streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', reconnect: false }).text(), {
      code: 'truncated_stream',
      message: 'The stream ended without a "done" or "error" event',
    });
    assert.equal(server.requests.length, 1);
  });

  it('does not retry a first request that could not connect', async () => {
    const closedServer = await startScriptedServer(() => {});
    await closedServer.close();
    await assert.rejects(streamChat({ baseUrl: closedServer.baseUrl, prompt: 'Hi', reconnect: fastReconnect }).text(), {
      code: 'network_error',
      message: /Could not reach/,
    });
  });
});
