import type { DoneFinishReason, ErrorEvent, MetaEvent, SluiceEvent, Source, UsageEvent } from '@sluice/protocol';
import { createCancelledError, SluiceClientError, toClientErrorCode } from './client-error.ts';
import type { ReconnectCallbacks } from './open-event-stream.ts';

/** What a ChatStream yields: every Sluice event but `error`, which is thrown as a SluiceClientError instead. */
export type ChatStreamEvent = Exclude<SluiceEvent, ErrorEvent>;

export interface ToolCallResult {
  index: number;
  id: string | undefined;
  name: string | undefined;
  /** The JSON arguments text, all deltas joined. */
  arguments: string;
}

export interface ChatResult {
  text: string;
  finishReason: DoneFinishReason;
  meta: MetaEvent | undefined;
  usage: UsageEvent | undefined;
  toolCalls: ToolCallResult[];
  sources: Source[];
  timeToFirstTokenMs: number | undefined;
  durationMs: number;
  /** How many times a dropped connection was re-established (failed attempts do not count). */
  reconnects: number;
}

export interface ChatStreamCallbacks extends ReconnectCallbacks {
  /** Every event the iterator yields, in order. */
  onEvent?: (event: ChatStreamEvent) => void;
  onToken?: (delta: string, text: string) => void;
  /** Called once after `done`. */
  onFinish?: (result: ChatResult) => void;
  /** Called once for every failure except a cancel, which is not a failure. */
  onError?: (error: SluiceClientError) => void;
}

/** Starts the transport; called once, when the stream is first consumed. */
export type OpenEvents = (signal: AbortSignal, callbacks: ReconnectCallbacks) => AsyncGenerator<SluiceEvent, void, undefined>;

/**
 * One streamed answer. Iterate it (`for await`) for events, or await `text()` / `result()`; it can be
 * consumed once. Nothing is requested until it is consumed. A `break` out of the loop or `abort()` closes
 * the request at once. Every failure, including the server's `error` event and a stream that ends
 * without `done`, is thrown as a SluiceClientError: a loop that completes saw `done`.
 */
export class ChatStream implements AsyncIterable<ChatStreamEvent> {
  readonly #openEvents: OpenEvents;
  readonly #callbacks: ChatStreamCallbacks;
  readonly #abortController = new AbortController();
  readonly #outcome = Promise.withResolvers<ChatResult>();
  #started = false;
  #meta: MetaEvent | undefined;
  #reconnects = 0;

  /** @internal Made by `streamChat` and the other `stream*` functions. */
  constructor(openEvents: OpenEvents, callbacks: ChatStreamCallbacks) {
    this.#openEvents = openEvents;
    this.#callbacks = callbacks;
    // The outcome is also reported by the iterator; a caller that never asks for it must not see an unhandled rejection.
    this.#outcome.promise.catch(() => {});
  }

  /** The `meta` event, once it has arrived. */
  get meta(): MetaEvent | undefined {
    return this.#meta;
  }

  /** Closes the request; a pending `next()`, `text()` or `result()` rejects with code `cancelled`. */
  abort(reason?: unknown): void {
    this.#abortController.abort(reason);
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChatStreamEvent, void, undefined> {
    if (this.#started) throw new Error('A ChatStream can be consumed only once');
    this.#started = true;
    return this.#iterate();
  }

  /** Consumes the stream (unless it is already being consumed) and resolves with the whole answer. */
  result(): Promise<ChatResult> {
    if (!this.#started) {
      (async () => {
        for await (const _event of this);
      })().catch(() => {
        // Reported through the outcome promise.
      });
    }
    return this.#outcome.promise;
  }

  async text(): Promise<string> {
    return (await this.result()).text;
  }

  async *#iterate(): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const callbacks = this.#callbacks;
    const startedAt = performance.now();
    let firstTokenAt: number | undefined;
    let text = '';
    let usage: UsageEvent | undefined;
    const toolCalls: ToolCallResult[] = [];
    const sources: Source[] = [];
    let result: ChatResult | undefined;
    try {
      const reconnectCallbacks: ReconnectCallbacks = {
        ...(callbacks.onReconnect === undefined ? {} : { onReconnect: callbacks.onReconnect }),
        onResume: (info) => {
          this.#reconnects += 1;
          callbacks.onResume?.(info);
        },
      };
      for await (const event of this.#openEvents(this.#abortController.signal, reconnectCallbacks)) {
        switch (event.type) {
          case 'meta':
            this.#meta = event;
            break;
          case 'token':
            firstTokenAt ??= performance.now();
            text += event.delta;
            break;
          case 'tool_call': {
            firstTokenAt ??= performance.now();
            const call = (toolCalls[event.index] ??= { index: event.index, id: undefined, name: undefined, arguments: '' });
            call.id ??= event.id;
            call.name ??= event.name;
            call.arguments += event.arguments_delta;
            break;
          }
          case 'sources':
            sources.push(...event.sources);
            break;
          case 'object':
            // The partial parse of a structured answer, for `onEvent`; the result keeps the whole text.
            break;
          case 'continued':
            // The tokens after it go on with the same answer; cut tool calls are void and start again.
            for (const index of event.restarted_tool_calls ?? []) delete toolCalls[index];
            break;
          case 'usage':
            usage = event;
            break;
          case 'error':
            throw new SluiceClientError(toClientErrorCode(event.code, 'internal'), event.message, { retryable: event.retryable });
          case 'done':
            if (event.finish_reason === 'error')
              throw new SluiceClientError('internal', 'The stream finished with an error the server did not describe');
            break;
          default:
            event satisfies never;
        }
        callbacks.onEvent?.(event);
        if (event.type === 'token') callbacks.onToken?.(event.delta, text);
        if (event.type === 'done') {
          result = {
            text,
            finishReason: event.finish_reason,
            meta: this.#meta,
            usage,
            toolCalls: toolCalls.filter((call) => call !== undefined),
            sources,
            timeToFirstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - startedAt,
            durationMs: performance.now() - startedAt,
            reconnects: this.#reconnects,
          };
          callbacks.onFinish?.(result);
        }
        yield event;
      }
      if (result === undefined) throw new SluiceClientError('truncated_stream', 'The stream ended without a "done" event');
      // Resolved only now, after the transport has released its connection and timers.
      this.#outcome.resolve(result);
    } catch (error) {
      const clientError =
        error instanceof SluiceClientError ? error : new SluiceClientError('internal', 'The stream failed', { cause: error });
      this.#outcome.reject(clientError);
      if (clientError.code !== 'cancelled') callbacks.onError?.(clientError);
      throw clientError;
    } finally {
      // A `break` lands here without an error; settling twice is a no-op, so this only covers that case.
      if (result === undefined) this.#outcome.reject(createCancelledError(undefined));
      else this.#outcome.resolve(result);
    }
  }
}
