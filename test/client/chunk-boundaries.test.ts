import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamChat, type ChatStreamEvent, type SluiceEvent } from '@sluice/client';
import { ping, sse } from './support/scripted-server.ts';

const events: SluiceEvent[] = [
  { type: 'meta', stream_id: 's1', trace_id: 't', model: 'm', created: 1 },
  { type: 'token', delta: 'Grüße, 世界 👋🏽' },
  { type: 'token', delta: 'line\r\nbreak "quotes" \\ back' },
  { type: 'usage', prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, estimated: true },
  { type: 'done', finish_reason: 'length' },
];
/** A byte-order mark, CRLF line endings, a heartbeat and an unknown field: all legal SSE. */
const wire = Buffer.from(
  `\uFEFF${ping}${events
    .map((event, index) => sse(event, index + 1))
    .join('')
    .replaceAll('\n', '\r\n')}unknown: field\n\n`,
);

/** A fetch that answers with `wire` cut into the given chunks, with no network in between. */
function fetchWithChunks(chunks: Uint8Array[]): typeof fetch {
  return async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      }),
      { headers: { 'content-type': 'text/event-stream; charset=utf-8' } },
    );
}

async function collect(chunks: Uint8Array[]): Promise<ChatStreamEvent[]> {
  const received: ChatStreamEvent[] = [];
  for await (const event of streamChat({ baseUrl: 'http://sluice.test', prompt: 'Hi', fetch: fetchWithChunks(chunks) }))
    received.push(event);
  return received;
}

describe('streamChat chunk boundaries', () => {
  it('reads the same events whichever byte the network splits at', async () => {
    for (let splitAt = 1; splitAt < wire.length; splitAt += 1) {
      assert.deepEqual(await collect([wire.subarray(0, splitAt), wire.subarray(splitAt)]), events, `split at byte ${splitAt}`);
    }
  });

  it('reads the same events one byte at a time', async () => {
    assert.deepEqual(await collect([...wire].map((byte) => Uint8Array.of(byte))), events);
  });
});
