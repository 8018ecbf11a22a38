import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { streamChat, type ChatStreamEvent, type SluiceEvent } from '@sluice/client';
import { meta, ping, sse, startScriptedServer, writeSseHead, type ScriptedServer } from './support/scripted-server.ts';

const allEvents: SluiceEvent[] = [
  meta('s1', { demo: true }),
  { type: 'sources', sources: [{ id: 'doc-1', title: 'Doc', snippet: 'A snippet', score: 0.9, metadata: { page: 3 } }] },
  { type: 'token', delta: 'Hello, ' },
  { type: 'token', delta: '세계 🌍\n"quoted"' },
  { type: 'tool_call', index: 0, id: 'call_1', name: 'lookup', arguments_delta: '{"q":' },
  { type: 'tool_call', index: 0, arguments_delta: '"x"}' },
  { type: 'usage', prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, estimated: false },
  { type: 'done', finish_reason: 'stop' },
];

describe('streamChat over the Sluice dialect', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer((request, response) => {
      writeSseHead(response);
      const bytes = Buffer.from(ping + allEvents.map((event, index) => sse(event, index + 1)).join(''));
      // Split inside the multi-byte Korean text so the client must join the halves of one character.
      const splitAt = bytes.indexOf(Buffer.from('세')) + 1;
      response.write(bytes.subarray(0, splitAt));
      setTimeout(() => response.end(bytes.subarray(splitAt)), 5);
    });
  });
  after(() => server.close());

  it('yields every event type in order and sends the request the server expects', async () => {
    const events: ChatStreamEvent[] = [];
    for await (const event of streamChat({
      baseUrl: server.baseUrl,
      messages: [{ role: 'user', content: 'Hi' }],
      model: 'gpt-test',
      parameters: { temperature: 0.2 },
      apiKey: 'secret',
      headers: { 'x-tenant': 'acme' },
    })) {
      events.push(event);
    }
    assert.deepEqual(events, allEvents);
    const request = server.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/v1/chat/stream');
    assert.deepEqual(JSON.parse(request.body), { temperature: 0.2, model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }], resumable: true });
    assert.equal(request.headers.authorization, 'Bearer secret');
    assert.equal(request.headers['x-tenant'], 'acme');
    assert.equal(request.headers.accept, 'text/event-stream');
    assert.equal(request.headers['content-type'], 'application/json');
  });

  it('collects the whole answer in result() and calls the callbacks', async () => {
    const seen: string[] = [];
    const tokens: Array<[string, string]> = [];
    let finished: unknown;
    const result = await streamChat({
      baseUrl: `${server.baseUrl}/`,
      prompt: 'Hi',
      onEvent: (event) => seen.push(event.type),
      onToken: (delta, text) => tokens.push([delta, text]),
      onFinish: (value) => (finished = value),
    }).result();
    assert.equal(JSON.parse(server.requests.at(-1)!.body).prompt, 'Hi');
    assert.equal(result.text, 'Hello, 세계 🌍\n"quoted"');
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.meta?.demo, true);
    assert.deepEqual(result.usage, allEvents[6]);
    assert.deepEqual(result.toolCalls, [{ index: 0, id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }]);
    assert.equal(result.sources[0]?.id, 'doc-1');
    assert.equal(result.reconnects, 0);
    assert.ok(result.timeToFirstTokenMs !== undefined && result.timeToFirstTokenMs <= result.durationMs);
    assert.equal(finished, result);
    assert.deepEqual(
      seen,
      allEvents.map((event) => event.type),
    );
    assert.deepEqual(tokens, [
      ['Hello, ', 'Hello, '],
      ['세계 🌍\n"quoted"', 'Hello, 세계 🌍\n"quoted"'],
    ]);
  });

  it('keeps a path prefix of the base URL', async () => {
    const text = await streamChat({ baseUrl: `${server.baseUrl}/gateway`, prompt: 'Hi' }).text();
    assert.equal(text, 'Hello, 세계 🌍\n"quoted"');
    assert.equal(server.requests.at(-1)!.path, '/gateway/v1/chat/stream');
  });

  it('is consumed once and sends nothing until then', async () => {
    const before = server.requests.length;
    const stream = streamChat({ baseUrl: server.baseUrl, prompt: 'Hi' });
    assert.equal(server.requests.length, before);
    await stream.text();
    assert.throws(() => stream[Symbol.asyncIterator](), /only once/);
    assert.equal(await stream.text(), 'Hello, 세계 🌍\n"quoted"');
  });

  it('needs messages or a prompt, and a base URL outside a browser', () => {
    assert.throws(() => streamChat({ baseUrl: server.baseUrl }), { name: 'SluiceClientError', code: 'bad_request' });
    assert.throws(() => streamChat({ prompt: 'Hi' }), { code: 'bad_request', message: /baseUrl is required/ });
  });
});

describe('streamChat with in-band endings', () => {
  let server: ScriptedServer;
  let script: SluiceEvent[] = [];
  before(async () => {
    server = await startScriptedServer((_request, response) => {
      writeSseHead(response);
      response.end(script.map((event, index) => sse(event, index + 1)).join(''));
    });
  });
  after(() => server.close());

  it('throws the server error event as a SluiceClientError with its code, and reports it once', async () => {
    script = [
      meta(),
      { type: 'token', delta: 'Part' },
      { type: 'error', code: 'upstream_timeout', message: 'Upstream went quiet', retryable: true },
    ];
    const errors: unknown[] = [];
    const seen: string[] = [];
    const stream = streamChat({ baseUrl: server.baseUrl, prompt: 'Hi', onError: (error) => errors.push(error) });
    await assert.rejects(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
      { name: 'SluiceClientError', code: 'upstream_timeout', message: 'Upstream went quiet', retryable: true },
    );
    assert.deepEqual(seen, ['meta', 'token']);
    assert.equal(errors.length, 1);
    await assert.rejects(stream.result(), { code: 'upstream_timeout' });
    // The server ended the stream itself, so the client has nothing to cancel.
    assert.equal(server.requests.filter((request) => request.method === 'DELETE').length, 0);
  });

  it('ends normally on a cancelled finish the server reports', async () => {
    script = [meta(), { type: 'token', delta: 'Par' }, { type: 'done', finish_reason: 'cancelled' }];
    const result = await streamChat({ baseUrl: server.baseUrl, prompt: 'Hi' }).result();
    assert.equal(result.finishReason, 'cancelled');
    assert.equal(result.text, 'Par');
  });

  it('skips event types it does not know, for newer servers', async () => {
    script = [
      meta(),
      { type: 'reasoning', delta: 'hmm' } as unknown as SluiceEvent,
      { type: 'token', delta: 'ok' },
      { type: 'done', finish_reason: 'stop' },
    ];
    const types: string[] = [];
    for await (const event of streamChat({ baseUrl: server.baseUrl, prompt: 'Hi' })) types.push(event.type);
    assert.deepEqual(types, ['meta', 'token', 'done']);
  });
});
