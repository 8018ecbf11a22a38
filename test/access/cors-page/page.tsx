/**
 * A page served from another origin than Sluice's, as a customer's web app is: it streams through the
 * AI SDK's `useChat` with a client key in the transport's headers, and through an `EventSource` with a
 * stream token, and reads the response headers Sluice exposes. The test drives it through `window.sluiceTest`.
 */

import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';

interface Run {
  baseUrl: string;
  key: string;
  prompt: string;
}

function ChatRun({ run, done }: { run: Run; done: (result: { text: string; error?: string }) => void }) {
  const { messages, sendMessage, status, error } = useChat({
    transport: new DefaultChatTransport({ api: `${run.baseUrl}/v1/ui-message-stream`, headers: { authorization: `Bearer ${run.key}` } }),
  });
  useEffect(() => {
    void sendMessage({ text: run.prompt });
  }, []);
  useEffect(() => {
    if (status === 'error') done({ text: '', error: error?.message ?? 'error' });
    if (status !== 'ready' || messages.length < 2) return;
    const answer = messages.at(-1)!;
    done({ text: answer.parts.map((part) => (part.type === 'text' ? part.text : '')).join('') });
  }, [status, messages.length]);
  return <p data-status={status}>{messages.length} messages</p>;
}

function useChatRun(run: Run): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const root = createRoot(document.body.appendChild(document.createElement('div')));
    root.render(
      <ChatRun
        run={run}
        done={(result) => {
          resolve(result);
          setTimeout(() => root.unmount());
        }}
      />,
    );
  });
}

async function eventSourceRun(run: Run): Promise<{ text: string; events: string[] }> {
  const issued = await fetch(`${run.baseUrl}/v1/stream-tokens`, { method: 'POST', headers: { authorization: `Bearer ${run.key}` } });
  if (issued.status !== 201) throw new Error(`stream token: HTTP ${issued.status}`);
  const { token } = (await issued.json()) as { token: string };
  const source = new EventSource(`${run.baseUrl}/v1/chat/stream?prompt=${encodeURIComponent(run.prompt)}&stream_token=${encodeURIComponent(token)}`);
  return new Promise((resolve, reject) => {
    let text = '';
    const events: string[] = [];
    for (const type of ['meta', 'token', 'usage', 'done']) {
      source.addEventListener(type, (event) => {
        events.push(type);
        const data = JSON.parse((event as MessageEvent<string>).data) as { delta?: string };
        if (type === 'token') text += data.delta;
        if (type === 'done') {
          source.close();
          resolve({ text, events });
        }
      });
    }
    source.onerror = () => {
      source.close();
      reject(new Error(`EventSource failed after ${JSON.stringify(events)}`));
    };
  });
}

async function readHeaders(run: Run): Promise<Record<string, string | null>> {
  const response = await fetch(`${run.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${run.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: run.prompt }] }),
  });
  await response.text();
  const names = ['x-request-id', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'];
  return Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));
}

(window as unknown as { sluiceTest: unknown }).sluiceTest = { useChatRun, eventSourceRun, readHeaders };
