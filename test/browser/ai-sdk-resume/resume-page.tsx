/**
 * The smallest app that uses `useChat({ resume: true })` from `@ai-sdk/react` against Sluice: after a
 * reload it asks `GET /v1/ui-message-stream/{id}/stream` for the chat's unfinished answer and shows it.
 * Bundled by the test with esbuild and served from loopback beside a proxy to Sluice (same origin).
 */

import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport } from 'ai';
import { createRoot } from 'react-dom/client';

const transport = new DefaultChatTransport({ api: '/v1/ui-message-stream', body: { resumable: true } });

function ResumePage() {
  const { messages, sendMessage, status } = useChat({ id: 'resume-chat-1', resume: true, transport });
  const answer = messages
    .filter((message) => message.role === 'assistant')
    .flatMap((message) => message.parts)
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('');
  return (
    <main>
      <button id="send" type="button" onClick={() => void sendMessage({ text: 'Why are there tides?' })}>
        Send
      </button>
      <output id="status">{status}</output>
      <p id="answer">{answer}</p>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<ResumePage />);
