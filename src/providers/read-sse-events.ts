import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';
import { SluiceError } from '../protocol/errors.ts';

/** What `readSseEvents` returns: a pull reader, so that its consumer is the only async generator. */
export interface SseEventReader {
  /**
   * The SSE messages completed by all the data buffered now, at least one, or undefined at the end of
   * the body. Returns them directly when data is buffered, and a promise only when it has to wait for
   * the network. Throws (or rejects with) an `upstream_error` SluiceError when the connection broke.
   */
  read(): EventSourceMessage[] | undefined | Promise<EventSourceMessage[] | undefined>;
  /** Stops reading: drains the body for keep-alive reuse after a final event, destroys it otherwise. */
  close(): void;
}

/**
 * Reads an upstream `text/event-stream` body into SSE messages, a batch per pull: every event that the
 * buffered data completes, so that events that piled up while the consumer was busy cost one await and
 * leave together. UTF-8 is decoded in streaming mode, so a character split across chunks arrives whole.
 *
 * Pull-based: the body is read with `read()` only when the consumer pulls, so undici stops reading the
 * socket once its buffer is full. A plain reader rather than an async generator (and `read()` rather
 * than the body's async iterator): each async generator between the socket and the client costs
 * promise jobs per event (BENCHMARKS.md, optimisation log).
 *
 * `close()` does not destroy the body after `isFinal` returned true: the rest of the response (its
 * terminator) is drained so that undici can reuse the keep-alive connection.
 */
export function readSseEvents(body: Readable, isFinal: (message: EventSourceMessage) => boolean): SseEventReader {
  const decoder = new TextDecoder('utf-8');
  let batch: EventSourceMessage[] = [];
  let sawFinal = false;
  let ended = false;
  const parser = createParser({
    onEvent(message) {
      batch.push(message);
      if (isFinal(message)) sawFinal = true;
    },
  });
  let wake: (() => void) | undefined;
  const onChange = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  body.on('readable', onChange);
  body.on('end', onChange);
  body.on('error', onChange);
  body.on('close', onChange);

  /** Parses all that is buffered; true when that completed no event and the body is still open. */
  const readBuffered = (): boolean => {
    while (!ended) {
      const chunk = body.read() as Buffer | null;
      if (chunk !== null) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        continue;
      }
      // Events parsed before a failure are delivered first; the next read reports it.
      if (batch.length > 0) return false;
      if (body.errored) throw brokenUpstream(body.errored);
      if (!body.readableEnded) {
        // Destroyed without an error and before its end: the connection went away mid-body.
        if (body.destroyed) throw brokenUpstream(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
        return true;
      }
      ended = true;
      parser.feed(decoder.decode());
      // A last event without its blank line still counts, as in the spec's end-of-stream handling.
      parser.reset({ consume: true });
    }
    return false;
  };
  const take = (): EventSourceMessage[] | undefined => {
    if (batch.length === 0) return undefined;
    const completed = batch;
    batch = [];
    return completed;
  };
  const waitAndRead = async (): Promise<EventSourceMessage[] | undefined> => {
    do await new Promise<void>((resolve) => (wake = resolve));
    while (readBuffered());
    return take();
  };

  return {
    read() {
      return readBuffered() ? waitAndRead() : take();
    },
    close() {
      body.off('readable', onChange);
      body.off('end', onChange);
      body.off('close', onChange);
      // The 'error' listener stays: undici destroys an unfinished body with an error, which must find one.
      if (sawFinal && !body.destroyed) body.resume();
      else body.destroy();
    },
  };
}

function brokenUpstream(error: unknown): SluiceError {
  const code = (error as { code?: string }).code ?? (error as Error).name;
  return new SluiceError('upstream_error', `The upstream connection broke mid-stream (${code})`, { cause: error });
}

/** Parses one `data:` payload as a JSON object; garbage mid-stream is an upstream error, never skipped. */
export function parseJsonData(data: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new SluiceError('upstream_error', `The upstream sent malformed data: ${JSON.stringify(data.slice(0, 80))}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SluiceError('upstream_error', 'The upstream sent an event that is not a JSON object');
  }
  return value as Record<string, unknown>;
}
