import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SluiceClientError } from './client-error.ts';

/**
 * One event or `retry:` hint parsed off the wire. Comments (heartbeats) are dropped here: they carry no
 * content, so nothing downstream, content timeouts least of all, can mistake them for progress.
 */
export type SseItem = { kind: 'message'; message: EventSourceMessage } | { kind: 'retry'; retryMs: number };

export interface SseReader {
  /** Reads one network chunk and returns what it completed (often nothing); `undefined` at the end of the body. */
  read(): Promise<SseItem[] | undefined>;
  /** Releases the body; safe to call more than once. */
  cancel(): void;
}

/** One event larger than this is an attack or a bug, not an answer. */
const maxBufferedChars = 4 * 1024 * 1024;

/**
 * Pulls a response body one chunk at a time and parses it as Server-Sent Events. Pull-based on
 * purpose: nothing is read ahead of the consumer, so a slow consumer slows the socket, not memory.
 */
export function createSseReader(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.getReader();
  // `stream: true` keeps a multi-byte character split across chunks intact.
  const decoder = new TextDecoder();
  let items: SseItem[] = [];
  let overflow = false;
  const parser = createParser({
    maxBufferSize: maxBufferedChars,
    onEvent: (message) => items.push({ kind: 'message', message }),
    onRetry: (retryMs) => items.push({ kind: 'retry', retryMs }),
    onError: (error) => {
      // Unknown fields are ignored, as the SSE spec says; only an unbounded event is fatal.
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
  });
  let released = false;

  return {
    async read() {
      const chunk = await reader.read();
      if (chunk.done) {
        released = true;
        return undefined;
      }
      items = [];
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      if (overflow) {
        throw new SluiceClientError('malformed_stream', `An SSE event is larger than ${maxBufferedChars} characters`);
      }
      return items;
    },
    cancel() {
      if (released) return;
      released = true;
      reader.cancel().catch(() => {
        // The body is already errored (aborted or reset); there is nothing left to release.
      });
    },
  };
}
