import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { streamOpenAIChat, type ChatStreamEvent } from '@sluice/client';
import { startScriptedServer, writeSseHead, type ScriptedServer } from './support/scripted-server.ts';

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-test' };
const chunk = (fields: object) => `data: ${JSON.stringify({ ...base, ...fields })}\n\n`;
const transcript = [
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: { content: 'Hi ' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: { content: 'there' }, finish_reason: null }] }),
  chunk({
    choices: [
      { index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] } },
    ],
  }),
  chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] } }] }),
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
  chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }),
];

describe('streamOpenAIChat', () => {
  let server: ScriptedServer;
  let route: (response: ServerResponse) => void;
  before(async () => {
    server = await startScriptedServer((_request, response) => route(response));
  });
  after(() => server.close());

  const run = () =>
    streamOpenAIChat({
      baseUrl: server.baseUrl,
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hi' }],
      parameters: { temperature: 0 },
    });

  it('reads chat.completion.chunk events as Sluice events, done after the usage chunk', async () => {
    route = (response) => {
      writeSseHead(response, { 'x-request-id': 'req-9' });
      response.end(`${transcript.join('')}data: [DONE]\n\n`);
    };
    const events: ChatStreamEvent[] = [];
    for await (const event of run()) events.push(event);
    assert.deepEqual(events, [
      { type: 'meta', stream_id: 'chatcmpl-1', trace_id: 'req-9', model: 'gpt-test', created: 1_700_000_000 },
      { type: 'token', delta: 'Hi ' },
      { type: 'token', delta: 'there' },
      { type: 'tool_call', index: 0, id: 'call_1', name: 'f', arguments_delta: '{"a"' },
      { type: 'tool_call', index: 0, arguments_delta: ':1}' },
      { type: 'usage', prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, estimated: false },
      { type: 'done', finish_reason: 'tool_calls' },
    ]);
    const request = server.requests.at(-1)!;
    assert.equal(request.path, '/v1/chat/completions');
    assert.deepEqual(JSON.parse(request.body), {
      temperature: 0,
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('treats a stream without [DONE] as truncated, not finished', async () => {
    route = (response) => {
      writeSseHead(response);
      response.end(transcript.join(''));
    };
    await assert.rejects(run().text(), { code: 'truncated_stream' });
  });

  it('throws an in-band error chunk with its code', async () => {
    route = (response) => {
      writeSseHead(response);
      response.end(
        `${transcript[1]}data: {"error":{"message":"Upstream went quiet","type":"upstream_error","code":"upstream_timeout"}}\n\n`,
      );
    };
    await assert.rejects(run().text(), { code: 'upstream_timeout', message: 'Upstream went quiet' });
    route = (response) => {
      writeSseHead(response);
      response.end(`data: {"error":{"message":"Model overloaded","code":503}}\n\n`);
    };
    await assert.rejects(run().text(), { code: 'upstream_error', message: 'Model overloaded' });
  });
});
