import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { SluiceClientError } from '@sluice/client';
import { useChat, type SendOptions } from '@sluice/react';
import { CollectionPicker } from './collection-picker.tsx';
import { KeyForm } from './key-form.tsx';
import { MessageView } from './message-view.tsx';
import { useFollowScroll } from './use-follow-scroll.ts';

const codeHeadlines: Partial<Record<SluiceClientError['code'], string>> = {
  network_error: 'The connection to Sluice was lost',
  resume_unavailable: 'The answer could not be resumed',
  truncated_stream: 'The answer was cut off',
  malformed_stream: 'Sluice sent something this page cannot read',
  first_token_timeout: 'No answer arrived in time',
  idle_timeout: 'The answer stalled',
  timeout: 'The model took too long',
  upstream_timeout: 'The model provider took too long',
  upstream_error: 'The model provider failed',
  rate_limited: 'Too many requests',
  unauthorized: 'Not authorized',
  overloaded: 'Sluice is overloaded',
  shutting_down: 'Sluice is restarting',
};

export function ChatApp() {
  const chat = useChat();
  const busy = chat.status === 'submitted' || chat.status === 'streaming';
  const lastMessage = chat.messages.at(-1);
  const demo = chat.messages.some((message) => message.demo === true);
  const page = useRef<HTMLDivElement>(null);
  const scroll = useFollowScroll(page);
  const [collection, setCollection] = useState('');
  // Each question is grounded in the collection chosen when it is sent (or sent again).
  const sendOptions: SendOptions | undefined = collection === '' ? undefined : { parameters: { retrieval: { collection } } };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    scroll.follow();
    void chat.send(undefined, sendOptions);
  };
  const tryAgain = () => {
    scroll.follow();
    void chat.reload(sendOptions);
  };
  const submitOnEnter = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };

  return (
    <div className="app" data-status={chat.status} ref={page}>
      <header className="app-header">
        <h1>Sluice</h1>
        {demo && (
          <span
            className="badge badge-demo"
            data-testid="demo-label"
            title="No API key is configured: answers come from Sluice's built-in demo model, not a real LLM."
          >
            Demo model: canned answers, not a real LLM
          </span>
        )}
        <CollectionPicker value={collection} onChange={setCollection} disabled={busy} />
      </header>

      <main className="messages" aria-live="polite">
        {chat.messages.length === 0 && (
          <p className="empty">Ask anything. Answers stream as the model writes them; Stop ends the request at the model too.</p>
        )}
        {chat.messages.map((message) => (
          <MessageView key={message.id} message={message} streaming={busy && message === lastMessage && message.role === 'assistant'} />
        ))}
        {chat.status === 'submitted' && lastMessage?.role !== 'assistant' && (
          <p className="pending" data-testid="pending">
            Waiting for the first token…
          </p>
        )}
      </main>

      {/* Sticky at the bottom of the window, and in the flow after the messages: at the end of the page it
          covers nothing, and the notices stay in view wherever the reader has scrolled. */}
      <div className="dock">
        {!scroll.following && (
          <button type="button" className="jump" onClick={scroll.follow} data-testid="jump-to-newest">
            ↓ Jump to the newest
          </button>
        )}
        {chat.reconnecting && (
          <p className="notice notice-reconnecting" role="status" data-testid="reconnecting">
            Connection lost ({chat.reconnecting.error.message}). Reconnecting, attempt {chat.reconnecting.attempt}, resuming after event{' '}
            {chat.reconnecting.lastEventId}…
          </p>
        )}
        {chat.status === 'error' && chat.error?.code === 'unauthorized' && <KeyForm onSignedIn={tryAgain} />}
        {chat.status === 'error' && chat.error && chat.error.code !== 'unauthorized' && (
          <div className="notice notice-error" role="alert" data-testid="error">
            <p>
              <strong>{codeHeadlines[chat.error.code] ?? 'The request failed'}</strong> ({chat.error.code}): {chat.error.message}
            </p>
            <button type="button" onClick={tryAgain}>
              Try again
            </button>
          </div>
        )}

        <form className="composer" onSubmit={submit}>
          <textarea
            aria-label="Message"
            placeholder="Message Sluice (Enter to send, Shift+Enter for a new line)"
            rows={2}
            value={chat.input}
            onChange={(event) => chat.setInput(event.target.value)}
            onKeyDown={submitOnEnter}
          />
          {busy ? (
            <button type="button" className="stop" onClick={chat.stop}>
              Stop
            </button>
          ) : (
            <button type="submit" disabled={chat.input.trim() === ''}>
              Send
            </button>
          )}
        </form>
      </div>
    </div>
  );
}
