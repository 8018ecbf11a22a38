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
 * thrown as an `upstream_error`.
 */
export function mapSseStream(body: Readable, mapping: SseStreamMapping): AsyncIterableIterator<StreamPart[]> {
  return new SsePartStream(body, mapping);
}

const finished: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A hand-written async iterator rather than async generators over a message reader: on the hot path it
 * costs one promise per batch, resolved straight from the body's `'data'` event, and keeps no
 * suspended frames while a stream waits (BENCHMARKS.md, optimisation log).
 *
 * Pull-based, with the body flowing only while someone pulls: a chunk that arrives while `next()` waits
 * is parsed and handed over in the same turn (no `'readable'` event, which Node schedules a tick
 * later for every chunk); one that arrives while the consumer is busy (its client socket is full) is
 * parsed and pauses the body, so undici's buffer fills behind it and it stops reading the upstream
 * socket, and the next `next()` takes all that piled up as one batch. At most the events of one chunk
 * wait here besides undici's buffer. UTF-8 is decoded across chunks, so a character
 * split between two arrives whole. After the final event the rest of the body (its terminator) is
 * drained, so that undici can reuse the keep-alive connection; in every other ending the body is
 * destroyed, which closes the upstream connection.
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
  /** True while the body is paused because parsed events wait for the consumer. */
  private paused = false;
  /** True while `step()` reads what piled up: the `'data'` event of that read only feeds the parser. */
  private readingPiled = false;
  private closed = false;
  /** A mapping failure, thrown once the parts mapped before it have been delivered. */
  private failure: unknown;
  private waiter: { resolve: (result: IteratorResult<StreamPart[]>) => void; reject: (error: unknown) => void } | undefined;

  constructor(body: Readable, mapping: SseStreamMapping) {
    this.body = body;
    this.mapping = mapping;
    this.parser = createParser({
      onEvent: (message) => {
        this.messages.push(message);
        if (mapping.isFinal(message)) this.sawFinal = true;
      },
    });
    body.on('data', this.onData);
    body.on('end', this.onEnd);
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

  private readonly onData = (chunk: Buffer): void => {
    this.parser.feed(this.decoder.write(chunk));
    if (this.readingPiled) return;
    if (this.waiter !== undefined) this.onChange();
    else if (this.messages.length > 0 && !this.paused) {
      this.paused = true;
      this.body.pause();
    }
  };

  private readonly onEnd = (): void => {
    // An event without its closing blank line is dropped here, as the SSE spec says.
    this.bodyEnded = true;
    this.parser.feed(this.decoder.end());
    this.onChange();
  };

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
    const body = this.body;
    while (true) {
      while (this.messages.length > 0) {
        const parts = this.mapMessages();
        if (endAtTerminal(parts)) {
          this.close();
          return { done: false, value: parts };
        }
        if (parts.length > 0) return { done: false, value: parts };
        if (this.failure !== undefined) throw this.failure;
      }
      if (this.bodyEnded) {
        const parts: StreamPart[] = [];
        this.mapping.mapEnd(parts);
        endAtTerminal(parts);
        this.close();
        return parts.length > 0 ? { done: false, value: parts } : finished;
      }
      // Events parsed before a failure are delivered first; then the failure.
      if (body.errored) throw brokenUpstream(body.errored);
      // Destroyed without an error and before its end: the connection went away mid-body.
      if (body.destroyed) throw brokenUpstream(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      if (!this.paused) return undefined;
      // What piled up while the consumer was busy is read at once (a paused body hands over all it
      // holds, through one 'data' event), so that it leaves as one batch; the body flows again only
      // once nothing is left.
      this.readingPiled = true;
      const piled = body.read() as Buffer | null;
      this.readingPiled = false;
      if (piled === null) {
        this.paused = false;
        body.resume();
        return undefined;
      }
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

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const body = this.body;
    body.off('data', this.onData);
    body.off('end', this.onEnd);
    body.off('close', this.onChange);
    // The 'error' listener stays: undici destroys an unfinished body with an error, which must find one.
    if (this.sawFinal && !body.destroyed) body.resume();
    else body.destroy();
  }
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
