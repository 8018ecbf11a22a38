import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChatStore, type ChatState, type ChatStatus } from '@sluice/react';
import { delay, meta, sse, startScriptedServer, writeSseHead, type ScriptedServer } from '../client/support/scripted-server.ts';

describe('createChatStore', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer(async (request, response) => {
      if (request.method === 'DELETE') return void response.writeHead(204).end();
      if (request.method === 'GET') {
        writeSseHead(response);
        return void response.end(sse({ type: 'token', delta: 'after' }, 3) + sse({ type: 'done', finish_reason: 'stop' }, 4));
      }
      const { messages } = JSON.parse(request.body) as { messages: Array<{ content: string }> };
      const prompt = messages.at(-1)!.content;
      if (prompt === 'unauthorized') {
        return void response
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'Bad key', code: 'unauthorized' } }));
      }
      writeSseHead(response);
      response.write(sse(meta('s1', { demo: true, model: 'sluice-demo' }), 1));
      if (prompt === 'endless') {
        let sequence = 2;
        const timer = setInterval(() => response.write(sse({ type: 'token', delta: 'la ' }, sequence++)), 10);
        await request.closed;
        clearInterval(timer);
        return;
      }
      if (prompt === 'drop') {
        response.write(sse({ type: 'token', delta: 'before ' }, 2));
        return void setTimeout(() => response.destroy(), 20);
      }
      await delay(20);
      response.write(sse({ type: 'token', delta: 'Hello' }, 2));
      if (prompt === 'fail') {
        return void response.end(sse({ type: 'error', code: 'upstream_error', message: 'Upstream closed', retryable: true }, 3));
      }
      response.end(
        sse({ type: 'token', delta: ' world' }, 3) +
          sse({ type: 'usage', prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, estimated: false }, 4) +
          sse({ type: 'done', finish_reason: 'stop' }, 5),
      );
    });
  });
  after(() => server.close());

  /** Records every status the store passes through, without repeats. */
  function watchStatuses(store: { subscribe(listener: () => void): () => void; getSnapshot(): ChatState }): ChatStatus[] {
    const statuses: ChatStatus[] = [store.getSnapshot().status];
    store.subscribe(() => {
      const { status } = store.getSnapshot();
      if (statuses.at(-1) !== status) statuses.push(status);
    });
    return statuses;
  }

  it('sends the input, streams the answer into an assistant message and returns to ready', async () => {
    let counter = 0;
    const finished: unknown[] = [];
    const store = createChatStore({
      baseUrl: server.baseUrl,
      generateId: () => `m${++counter}`,
      initialInput: 'Hi',
      onFinish: (message) => finished.push(message),
    });
    const statuses = watchStatuses(store);
    const before = store.getSnapshot();
    await store.send();
    const state = store.getSnapshot();
    assert.deepEqual(statuses, ['ready', 'submitted', 'streaming', 'ready']);
    assert.equal(state.input, '');
    assert.equal(state.error, undefined);
    assert.equal(before.messages.length, 0, 'snapshots are immutable');
    const [user, assistant] = state.messages;
    assert.deepEqual(user, { id: 'm1', role: 'user', content: 'Hi' });
    assert.equal(assistant!.content, 'Hello world');
    assert.equal(assistant!.model, 'sluice-demo');
    assert.equal(assistant!.demo, true);
    assert.equal(assistant!.finishReason, 'stop');
    assert.equal(assistant!.usage?.completion_tokens, 2);
    const timing = assistant!.timing!;
    assert.ok(timing.startedAt <= timing.firstTokenAt! && timing.firstTokenAt! <= timing.finishedAt!);
    assert.deepEqual(finished, [assistant]);
    assert.deepEqual(JSON.parse(server.requests.at(-1)!.body).messages, [{ role: 'user', content: 'Hi' }]);
  });

  it('stop() closes the request so the server stops, keeps the partial answer and is not an error', async () => {
    const errors: unknown[] = [];
    const store = createChatStore({ baseUrl: server.baseUrl, onError: (error) => errors.push(error) });
    const sending = store.send('endless');
    const answer = () => store.getSnapshot().messages.find((message) => message.role === 'assistant');
    while ((answer()?.content.length ?? 0) < 6) await delay(5);
    store.stop();
    assert.equal(store.getSnapshot().status, 'ready');
    await sending;
    const closed = await server.requests.findLast((request) => request.method === 'POST')!.closed;
    assert.equal(closed.byClient, true);
    const assistant = store.getSnapshot().messages.at(-1)!;
    assert.equal(assistant.finishReason, 'cancelled');
    assert.match(assistant.content, /^(la )+$/);
    assert.equal(store.getSnapshot().status, 'ready');
    assert.deepEqual(errors, []);
  });

  it('shows a server error, keeps what arrived, and reload() asks again without the failed answer', async () => {
    const store = createChatStore({ baseUrl: server.baseUrl });
    await store.send('fail');
    let state = store.getSnapshot();
    assert.equal(state.status, 'error');
    assert.equal(state.error?.code, 'upstream_error');
    assert.equal(state.error?.message, 'Upstream closed');
    assert.equal(state.messages.at(-1)!.content, 'Hello');
    assert.equal(state.messages.at(-1)!.finishReason, 'error');
    await store.reload();
    state = store.getSnapshot();
    assert.deepEqual(JSON.parse(server.requests.at(-1)!.body).messages, [{ role: 'user', content: 'fail' }]);
    assert.equal(state.messages.length, 2);
    assert.equal(state.status, 'error', 'the same prompt fails the same way');
    store.clearError();
    assert.equal(store.getSnapshot().status, 'ready');
    assert.equal(store.getSnapshot().error, undefined);
  });

  it('shows an HTTP error with no assistant message', async () => {
    const store = createChatStore({ baseUrl: server.baseUrl });
    await store.send('unauthorized');
    const state = store.getSnapshot();
    assert.equal(state.status, 'error');
    assert.equal(state.error?.code, 'unauthorized');
    assert.equal(state.error?.message, 'Bad key');
    assert.deepEqual(
      state.messages.map((message) => message.role),
      ['user'],
    );
  });

  it('reports a reconnect while it happens and counts it on the message', async () => {
    const store = createChatStore({ baseUrl: server.baseUrl, reconnect: { initialDelayMs: 30, maxDelayMs: 30 } });
    let sawReconnecting = false;
    store.subscribe(() => {
      if (store.getSnapshot().reconnecting !== undefined) sawReconnecting = true;
    });
    await store.send('drop');
    const state = store.getSnapshot();
    assert.equal(sawReconnecting, true);
    assert.equal(state.reconnecting, undefined);
    assert.equal(state.status, 'ready');
    assert.equal(state.messages.at(-1)!.content, 'before after');
    assert.equal(state.messages.at(-1)!.reconnects, 1);
  });

  it('ignores empty input and a send while a request is in flight', async () => {
    const store = createChatStore({ baseUrl: server.baseUrl });
    await store.send('   ');
    assert.equal(store.getSnapshot().messages.length, 0);
    const first = store.send('Hi');
    await store.send('Again');
    await first;
    assert.deepEqual(
      store.getSnapshot().messages.map((message) => message.content),
      ['Hi', 'Hello world'],
    );
  });
});
