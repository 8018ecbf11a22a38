import type { SluiceEvent } from '@sluice/protocol';
import { createCancelledError, SluiceClientError } from './client-error.ts';
import { ContentDeadline, type DeadlineKind } from './content-deadline.ts';
import { errorFromResponse, isRetryableStatus } from './error-from-response.ts';
import type { EventDecoder } from './event-decoder.ts';
import { computeReconnectDelayMs, sleep, type ReconnectPolicy } from './reconnect-policy.ts';
import { createSseReader } from './sse-reader.ts';

export interface HttpRequestSpec {
  url: string;
  init: RequestInit;
}

export interface ReconnectInfo {
  /** 1 for the first attempt after a drop. */
  attempt: number;
  delayMs: number;
  streamId: string;
  lastEventId: string;
  /** Why the connection dropped. */
  error: SluiceClientError;
}

export interface ResumeInfo {
  /** The attempt that succeeded, 1 for the first after a drop. */
  attempt: number;
  streamId: string;
  /** The id the server resumes after. */
  lastEventId: string;
}

/** What the transport reports while it repairs a dropped connection. */
export interface ReconnectCallbacks {
  /** Called before each reconnect attempt (after a drop, before the backoff delay). */
  onReconnect?: (info: ReconnectInfo) => void;
  /** Called when a dropped connection has been re-established and the stream continues. */
  onResume?: (info: ResumeInfo) => void;
}

export interface EventStreamOptions extends ReconnectCallbacks {
  fetch: typeof fetch;
  decoder: EventDecoder;
  /** Starts the stream. Sent once and never repeated: repeating it would start a second generation. */
  request: HttpRequestSpec;
  /** Resumes after a drop; absent when the dialect cannot resume. */
  createResumeRequest?: (streamId: string, lastEventId: string) => HttpRequestSpec;
  /** Sent without waiting when the client gives up on a stream, so a server that keeps streams alive for a resume stops at once. */
  createCancelRequest?: (streamId: string) => HttpRequestSpec;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  reconnect: ReconnectPolicy | false;
  signal: AbortSignal | undefined;
}

type Connection =
  { kind: 'open'; response: Response & { body: ReadableStream<Uint8Array> } } | { kind: 'dropped'; error: SluiceClientError };

/**
 * The transport under `streamChat`: one request, then resumes after drops, yielding decoded events until
 * the terminal one. Every other way it ends throws a SluiceClientError. Returning early (a `break` in the
 * caller's loop) or aborting `signal` closes the connection at once.
 */
export async function* openEventStream(options: EventStreamOptions): AsyncGenerator<SluiceEvent, void, undefined> {
  const streamController = new AbortController();
  const abortStream = (reason: SluiceClientError) => {
    if (!streamController.signal.aborted) streamController.abort(reason);
  };
  const onUserAbort = () => abortStream(createCancelledError(options.signal?.reason));
  if (options.signal?.aborted) onUserAbort();
  options.signal?.addEventListener('abort', onUserAbort, { once: true });
  const deadline = new ContentDeadline((kind, timeoutMs) => abortStream(createTimeoutError(kind, timeoutMs)));
  deadline.extend('first_token', options.firstTokenTimeoutMs);

  let streamId: string | undefined;
  let lastEventId: string | undefined;
  let lastSequence: number | undefined;
  let retryHintMs: number | undefined;
  let sawContent = false;
  let terminal = false;
  let failedAttempts = 0;
  let drop: SluiceClientError | undefined;
  // A closing tab runs no `finally`: the server would keep a resumable stream generating through its
  // grace period for a reader that never comes back. On `pagehide` the cancel goes out with `keepalive`,
  // which outlives the page (a page kept in the back-forward cache loses its stream too; it would have
  // to resume it, and that costs less than a model generating for nobody).
  const onPageHide = () => {
    if (!terminal && streamId !== undefined && options.createCancelRequest !== undefined) sendCancel(options, options.createCancelRequest(streamId));
  };
  const page = globalThis as { addEventListener?: (type: string, listener: () => void) => void; removeEventListener?: (type: string, listener: () => void) => void };
  page.addEventListener?.('pagehide', onPageHide);

  try {
    while (true) {
      let spec = options.request;
      if (drop !== undefined) {
        if (options.reconnect === false || options.createResumeRequest === undefined) throw drop;
        if (streamId === undefined || lastEventId === undefined) {
          throw new SluiceClientError(
            drop.code,
            `${drop.message}, before the stream id arrived; the request is not repeated, so as not to start a second generation`,
            {
              cause: drop,
              retryable: true,
            },
          );
        }
        failedAttempts += 1;
        if (failedAttempts > options.reconnect.maxAttempts) {
          throw new SluiceClientError(
            'network_error',
            `${drop.message}; gave up after ${options.reconnect.maxAttempts} reconnect attempts`,
            { cause: drop, retryable: true },
          );
        }
        const delayMs = computeReconnectDelayMs(failedAttempts, options.reconnect, retryHintMs);
        options.onReconnect?.({ attempt: failedAttempts, delayMs, streamId, lastEventId, error: drop });
        await sleep(delayMs, streamController.signal).catch(() => throwAbortReason(streamController.signal));
        spec = options.createResumeRequest(streamId, lastEventId);
      }
      throwAbortReason(streamController.signal);
      const resuming = drop !== undefined;
      const attemptController = new AbortController();
      const abortAttempt = () => attemptController.abort(streamController.signal.reason);
      streamController.signal.addEventListener('abort', abortAttempt, { once: true });
      try {
        const connection = await connect(options, spec, resuming, attemptController.signal, streamController.signal, streamId);
        if (connection.kind === 'dropped') {
          drop = connection.error;
          continue;
        }
        if (drop !== undefined) options.onResume?.({ attempt: failedAttempts, streamId: streamId!, lastEventId: lastEventId! });
        drop = undefined;
        options.decoder.begin?.(connection.response);
        const reader = createSseReader(connection.response.body);
        try {
          reading: while (true) {
            let items;
            try {
              items = await reader.read();
            } catch (error) {
              throwAbortReason(streamController.signal);
              if (error instanceof SluiceClientError) throw error;
              drop = new SluiceClientError('network_error', 'The connection dropped mid-stream', { cause: error, retryable: true });
              break reading;
            }
            if (items === undefined) {
              drop = new SluiceClientError('truncated_stream', 'The stream ended without a "done" or "error" event');
              break reading;
            }
            for (const item of items) {
              if (item.kind === 'retry') retryHintMs = item.retryMs;
              if (item.kind !== 'message') continue;
              const sequence = parseSequence(item.message.id);
              // A resumed stream replays from Last-Event-ID; anything at or before it was already delivered.
              if (sequence !== undefined && lastSequence !== undefined && sequence <= lastSequence) continue;
              const decoded = options.decoder.decode(item.message);
              if (item.message.id !== undefined) lastEventId = item.message.id;
              if (sequence !== undefined) lastSequence = sequence;
              failedAttempts = 0;
              for (const event of decoded.events) {
                if (event.type === 'meta') {
                  if (streamId !== undefined) continue;
                  streamId = event.stream_id;
                } else if (event.type === 'token' || event.type === 'tool_call') {
                  sawContent = true;
                  deadline.extend('idle', options.idleTimeoutMs);
                } else if (sawContent) {
                  deadline.extend('idle', options.idleTimeoutMs);
                }
                if (decoded.terminal && event === decoded.events.at(-1)) {
                  // Settled before the last yield, so a caller that stops at the last event leaves nothing running.
                  terminal = true;
                  deadline.dispose();
                  reader.cancel();
                }
                yield event;
              }
              if (decoded.terminal) {
                terminal = true;
                return;
              }
            }
          }
        } finally {
          reader.cancel();
        }
      } finally {
        streamController.signal.removeEventListener('abort', abortAttempt);
        if (!terminal) attemptController.abort(streamController.signal.reason);
      }
    }
  } catch (error) {
    // The server no longer knows this stream: there is nothing left to cancel.
    if (error instanceof SluiceClientError && error.code === 'resume_unavailable') streamId = undefined;
    throw error;
  } finally {
    deadline.dispose();
    options.signal?.removeEventListener('abort', onUserAbort);
    page.removeEventListener?.('pagehide', onPageHide);
    if (!terminal) {
      abortStream(createCancelledError(undefined));
      if (streamId !== undefined && options.createCancelRequest !== undefined) sendCancel(options, options.createCancelRequest(streamId));
    }
  }
}

async function connect(
  options: EventStreamOptions,
  spec: HttpRequestSpec,
  resuming: boolean,
  attemptSignal: AbortSignal,
  streamSignal: AbortSignal,
  streamId: string | undefined,
): Promise<Connection> {
  let response: Response;
  try {
    // Called unbound: a browser's `fetch` throws "Illegal invocation" when `this` is another object.
    const fetchFunction = options.fetch;
    response = await fetchFunction(spec.url, { ...spec.init, signal: attemptSignal });
  } catch (error) {
    throwAbortReason(streamSignal);
    const networkError = new SluiceClientError('network_error', `Could not reach ${spec.url}`, { cause: error, retryable: true });
    // A failed first request is not retried: it may have reached the server and started a generation.
    if (!resuming) throw networkError;
    return { kind: 'dropped', error: networkError };
  }
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (!resuming) throw error;
    if (isRetryableStatus(response.status)) return { kind: 'dropped', error };
    throw new SluiceClientError(
      'resume_unavailable',
      `The connection dropped and the server could not resume stream ${streamId}: ${error.message}`,
      {
        status: response.status,
        cause: error,
      },
    );
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!/^text\/event-stream\b/i.test(contentType) || response.body === null) {
    response.body?.cancel().catch(() => {});
    throw new SluiceClientError(
      'malformed_stream',
      `Expected a text/event-stream response, got ${contentType === '' ? 'no content type' : contentType}`,
      {
        status: response.status,
      },
    );
  }
  return { kind: 'open', response: response as Response & { body: ReadableStream<Uint8Array> } };
}

/** Ids are `<streamId>:<sequence>`; an id of another shape is tracked for Last-Event-ID but not compared. */
function parseSequence(id: string | undefined): number | undefined {
  if (id === undefined) return undefined;
  const separator = id.lastIndexOf(':');
  const sequence = Number(id.slice(separator + 1));
  return separator >= 0 && Number.isSafeInteger(sequence) ? sequence : undefined;
}

function throwAbortReason(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof SluiceClientError ? signal.reason : createCancelledError(signal.reason);
}

function createTimeoutError(kind: DeadlineKind, timeoutMs: number): SluiceClientError {
  return kind === 'first_token'
    ? new SluiceClientError('first_token_timeout', `No token arrived within ${timeoutMs} ms`, { retryable: true })
    : new SluiceClientError('idle_timeout', `No event arrived for ${timeoutMs} ms after the last one`, { retryable: true });
}

function sendCancel(options: EventStreamOptions, spec: HttpRequestSpec): void {
  // `keepalive` lets the cancel outlive a closing page; its answer does not matter (404 once finished).
  const fetchFunction = options.fetch;
  fetchFunction(spec.url, { ...spec.init, keepalive: true })
    .then((response) => response.body?.cancel())
    .catch(() => {});
}
