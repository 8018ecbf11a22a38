import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { endAtTerminal, SluiceError, type StreamPart } from '@sluice/protocol';

/** How one vendor's event stream becomes parts: the pure per-event mapping and what an early end means. */
export interface SseStreamMapping {
  /** True for the event after which the upstream sends nothing more (its body is then drained for reuse). */
  isFinal(message: EventSourceMessage): boolean;
  /** Appends the parts of one event; throws a SluiceError on an event that cannot be read. */
  mapEvent(message: EventSourceMessage, parts: StreamPart[]): void;
  /** Called when the body ended before a terminal part: appends what is left, or throws when the stream was cut. */
  mapEnd(parts: StreamPart[]): void;
}

/**
 * Reads an upstream `text/event-stream` body through a mapping: each `next()` parses everything buffered
 * and yields its parts as one batch, up to the first terminal part (`finish` or `error`). Parts mapped
 * before an unreadable event are still delivered, then the failure ends the stream. A cut connection is
 * thrown as an `upstream_error`, and so is a line or an event longer than `maxEventBytes` (counted in
 * decoded characters): the parser buffers an unfinished line, and an upstream that never ends one must
 * not grow it without bound.
 */
export function mapSseStream(body: Readable, mapping: SseStreamMapping, maxEventBytes = defaultMaxEventBytes): AsyncIterableIterator<StreamPart[]> {
  return new SsePartStream(body, mapping, maxEventBytes);
}

/** The default of `SLUICE_MAX_UPSTREAM_EVENT_BYTES`. */
export const defaultMaxEventBytes = 4 * 1_048_576;

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A hand-written async iterator rather than async generators over a message reader: on the hot path it
 * costs one promise per batch, resolved straight from the body's `'readable'` event, and keeps no
 * suspended frames while a stream waits (BENCHMARKS.md, optimisation log).
 *
 * Pull-based: the body is read only in `next()`, so when the consumer stops pulling (the client socket
 * is full), undici's buffer fills and it stops reading the upstream socket. UTF-8 is decoded across
 * chunks, so a character split between two arrives whole. After the final event the rest of
 * the body (its terminator) is drained, so that undici can reuse the keep-alive connection; in every
 * other ending the body is destroyed, which closes the upstream connection.
 */
class SsePartStream implements AsyncIterableIterator<StreamPart[]> {
  private readonly body: Readable;
  private readonly mapping: SseStreamMapping;
  // StringDecoder rather than TextDecoder in streaming mode: a quarter of its cost per chunk
  // (BENCHMARKS.md, optimisation log). Either keeps a character split across chunks whole; the parser
  // drops a leading BOM.
  private readonly decoder = new StringDecoder('utf8');
  private readonly parser: EventSourceParser;
  private messages: EventSourceMessage[] = [];
  private sawFinal = false;
  private bodyEnded = false;
  private closed = false;
  /** A mapping failure, thrown once the parts mapped before it have been delivered. */
  private failure: unknown;
  private waiter: { resolve: (result: IteratorResult<StreamPart[]>) => void; reject: (error: unknown) => void } | undefined;

  constructor(body: Readable, mapping: SseStreamMapping, maxEventBytes: number) {
    this.body = body;
    this.mapping = mapping;
    this.parser = createParser({
      maxBufferSize: maxEventBytes,
      onEvent: (message) => {
        this.messages.push(message);
        if (mapping.isFinal(message)) this.sawFinal = true;
      },
      // The only error the parser reports is its buffer bound; it then refuses to be fed.
      onError: () => {
        this.failure ??= new SluiceError('upstream_error', `The upstream sent a line or event longer than the limit of ${maxEventBytes} characters (SLUICE_MAX_UPSTREAM_EVENT_BYTES)`);
      },
    });
    body.on('readable', this.onChange);
    body.on('end', this.onChange);
    body.on('error', this.onChange);
    body.on('close', this.onChange);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** One call at a time, as `for await` makes them. */
  next(): Promise<IteratorResult<StreamPart[]>> {
    try {
      const result = this.step();
      if (result !== undefined) return Promise.resolve(result);
    } catch (error) {
      this.close();
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer stopped early: release the upstream. */
  return(): Promise<IteratorResult<StreamPart[]>> {
    this.close();
    return Promise.resolve(finished);
  }

  private readonly onChange = (): void => {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    let result: IteratorResult<StreamPart[]> | undefined;
    try {
      result = this.step();
    } catch (error) {
      this.waiter = undefined;
      this.close();
      waiter.reject(error);
      return;
    }
    if (result === undefined) return;
    this.waiter = undefined;
    waiter.resolve(result);
  };

  /** The next result when one is ready, undefined to wait for the network; throws the stream's failure. */
  private step(): IteratorResult<StreamPart[]> | undefined {
    if (this.closed) return finished;
    if (this.failure !== undefined) throw this.failure;
    while (true) {
      this.readBuffered();
      if (this.messages.length > 0) {
        const parts = this.mapMessages();
        if (endAtTerminal(parts)) {
          this.close();
          return { done: false, value: parts };
        }
        if (parts.length > 0) return { done: false, value: parts };
        if (this.failure !== undefined) throw this.failure;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (!this.bodyEnded) return undefined;
      const parts: StreamPart[] = [];
      this.mapping.mapEnd(parts);
      endAtTerminal(parts);
      this.close();
      return parts.length > 0 ? { done: false, value: parts } : finished;
    }
  }

  /** Maps the messages parsed so far; a failure is kept for after the parts mapped before it. */
  private mapMessages(): StreamPart[] {
    const messages = this.messages;
    this.messages = [];
    const parts: StreamPart[] = [];
    for (const message of messages) {
      try {
        this.mapping.mapEvent(message, parts);
      } catch (error) {
        this.failure = error;
        break;
      }
    }
    return parts;
  }

  /** Parses all that is buffered, until the body's end; throws when the connection broke mid-body. */
  private readBuffered(): void {
    const body = this.body;
    while (!this.bodyEnded && this.failure === undefined) {
      const chunk = body.read() as Buffer | null;
      if (chunk !== null) {
        this.parser.feed(this.decoder.write(chunk));
        continue;
      }
      // Events parsed before a failure are delivered first; the next read reports it.
      if (this.messages.length > 0) return;
      if (body.errored) throw brokenUpstream(body.errored);
      if (!body.readableEnded) {
        // Destroyed without an error and before its end: the connection went away mid-body.
        if (body.destroyed) throw brokenUpstream(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
        return;
      }
      // An event without its closing blank line is dropped here, as the SSE spec says.
      this.bodyEnded = true;
      this.parser.feed(this.decoder.end());
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const body = this.body;
    body.off('readable', this.onChange);
    body.off('end', this.onChange);
    body.off('close', this.onChange);
    // The 'error' listener stays: undici destroys an unfinished body with an error, which must find one.
    if (this.sawFinal && !body.destroyed) drainForReuse(body);
    else body.destroy();
  }
}

/** What an upstream may still send after its final event for its connection to be kept for reuse. */
const maxDrainBytes = 64 * 1024;
const maxDrainMs = 1000;

/**
 * Reads the rest of a body whose final event has arrived (its terminator, usually nothing) so that
 * undici can reuse the keep-alive connection; an upstream that goes on sending, or holds the body open,
 * past the bounds has its connection closed instead, or it would hold that connection forever.
 */
function drainForReuse(body: Readable): void {
  let drainedBytes = 0;
  const timer = setTimeout(() => body.destroy(), maxDrainMs);
  timer.unref();
  body.on('data', (chunk: Buffer) => {
    drainedBytes += chunk.length;
    if (drainedBytes > maxDrainBytes) body.destroy();
  });
  body.once('close', () => clearTimeout(timer));
  body.resume();
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
