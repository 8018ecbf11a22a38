/**
 * A bad request, in every dialect, is a 400 whose message names the field, what it expected and what it
 * got, and whose `param` is that field; nothing reaches the upstream.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness, type Harness } from '../support/sluice-harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(() => harness.close());

const user = [{ role: 'user', content: 'hi' }];

const cases: { path: string; body?: unknown; query?: string; message: string; param: string | null }[] = [
  {
    path: '/v1/chat/completions',
    body: { model: 'gpt-test', messages: [{ role: 'user', content: 5 }] },
    message: 'Invalid field "messages[0].content": expected a string, an array of content parts or null, got the number 5',
    param: 'messages[0].content',
  },
  { path: '/v1/chat/completions', body: { messages: user }, message: 'Missing field "model": expected a non-empty string', param: 'model' },
  {
    path: '/v1/chat/completions',
    body: { model: 'gpt-test', messages: [{ role: 'wizard', content: 'x' }] },
    message: 'Invalid field "messages[0].role": expected one of "system", "developer", "user", "assistant", "tool", got the string "wizard"',
    param: 'messages[0].role',
  },
  {
    path: '/v1/chat/completions',
    body: { model: 'gpt-test', messages: user, retrieval: { colection: 'handbook' } },
    message: 'Unknown field "retrieval.colection" (did you mean "retrieval.collection"?)',
    param: 'retrieval.colection',
  },
  { path: '/v1/messages', body: { model: 'claude-test', messages: user }, message: 'Missing field "max_tokens": expected a whole number of at least 1', param: null },
  {
    path: '/v1/messages',
    body: { model: 'claude-test', max_tokens: 16, temperature: 3, messages: user },
    message: 'Invalid field "temperature": expected a number from 0 to 1, got the number 3',
    param: null,
  },
  {
    path: '/v1/messages',
    body: { model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: [{ text: 'no type' }] }] },
    message: 'Missing field "messages[0].content[0].type": expected a string',
    param: null,
  },
  {
    path: '/v1/responses',
    body: { model: 'gpt-test', input: 5 },
    message: 'Invalid field "input": expected a string or a non-empty array of input items, got the number 5',
    param: 'input',
  },
  {
    path: '/v1/responses',
    body: { model: 'gpt-test', input: [{ type: 'function_call', name: 'lookup', arguments: '{}' }] },
    message: 'Missing field "input[0].call_id": expected a string',
    param: 'input[0].call_id',
  },
  {
    path: '/v1/ui-message-stream',
    body: { messages: [{ id: 'm1', role: 'user' }] },
    message: 'Missing field "messages[0].parts": expected an array of message parts',
    param: 'messages[0].parts',
  },
  {
    path: '/v1/chat/stream',
    body: { prompt: 'hi', temprature: 0.5 },
    message: 'Unknown field "temprature" (did you mean "temperature"?)',
    param: 'temprature',
  },
  {
    path: '/v1/chat/stream',
    body: { prompt: 'hi', max_tokens: 1.5 },
    message: 'Invalid field "max_tokens": expected a whole number of at least 1, got the number 1.5',
    param: 'max_tokens',
  },
  { path: '/v1/chat/text', body: { prompt: 7 }, message: 'Invalid field "prompt": expected a non-empty string, got the number 7', param: 'prompt' },
  { path: '/v1/chat/stream', query: 'promt=hi', message: 'Unknown query parameter "promt" (did you mean "prompt"?)', param: 'promt' },
  {
    path: '/v1/chat/stream',
    query: 'prompt=hi&collection=handbook&top_k=99',
    message: 'Invalid query parameter "top_k": expected a whole number from 1 to 50, got the string "99"',
    param: 'top_k',
  },
  { path: '/v1/chat/text', query: 'model=x', message: 'Missing query parameter "prompt": expected a non-empty string', param: 'prompt' },
];

for (const { path, body, query, message, param } of cases) {
  test(`${body === undefined ? 'GET' : 'POST'} ${path}: ${message}`, async () => {
    const requestsBefore = harness.fake.requests.length;
    const response =
      body === undefined
        ? await fetch(`${harness.sluice.url}${path}?${query}`)
        : await fetch(`${harness.sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 400);
    const answer = await response.json();
    if (path === '/v1/messages') {
      // Anthropic's shape has no param: the message carries the field.
      assert.deepEqual(answer, { type: 'error', error: { type: 'invalid_request_error', message } });
    } else {
      assert.deepEqual(answer.error, { message, type: 'invalid_request_error', code: 'bad_request', param });
    }
    assert.equal(harness.fake.requests.length, requestsBefore, 'nothing reached the upstream');
  });
}
