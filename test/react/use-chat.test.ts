import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { createChatStore, useChat, type UseChatHelpers } from '@sluice/react';

describe('useChat', () => {
  it('renders the store snapshot and exposes its actions', () => {
    const store = createChatStore({
      baseUrl: 'http://sluice.test',
      initialInput: 'draft',
      initialMessages: [
        { id: 'a', role: 'user', content: 'Hi <b>there</b>' },
        { id: 'b', role: 'assistant', content: 'Hello' },
      ],
    });
    let helpers: UseChatHelpers | undefined;
    function Chat() {
      helpers = useChat({ store });
      return createElement(
        'ul',
        { 'data-status': helpers.status },
        helpers.messages.map((message) => createElement('li', { key: message.id }, `${message.role}: ${message.content}`)),
      );
    }
    const html = renderToString(createElement(Chat));
    assert.equal(html, '<ul data-status="ready"><li>user: Hi &lt;b&gt;there&lt;/b&gt;</li><li>assistant: Hello</li></ul>');
    assert.equal(helpers!.input, 'draft');
    assert.equal(helpers!.store, store);
    assert.equal(helpers!.send, store.send);
    assert.equal(helpers!.stop, store.stop);
  });

  it('makes its own store from options', () => {
    let helpers: UseChatHelpers | undefined;
    function Chat() {
      helpers = useChat({ baseUrl: 'http://sluice.test', initialInput: 'hello' });
      return createElement('p', null, helpers.input);
    }
    assert.equal(renderToString(createElement(Chat)), '<p>hello</p>');
    assert.equal(helpers!.status, 'ready');
    assert.deepEqual(helpers!.messages, []);
  });
});
