import type { ChatMessage } from '@sluice/protocol';
import { ChatStream, type ChatStreamCallbacks } from './chat-stream.ts';
import { SluiceClientError } from './client-error.ts';
import {
  createHeaders,
  defaultFirstTokenTimeoutMs,
  defaultIdleTimeoutMs,
  resolveEndpoint,
  resolveFetch,
  type ConnectionOptions,
} from './connection-options.ts';
import { openEventStream } from './open-event-stream.ts';
import { resolveReconnectPolicy, type ReconnectOptions } from './reconnect-policy.ts';
import { createSluiceEventDecoder } from './sluice-event-decoder.ts';

export interface StreamChatOptions extends ConnectionOptions, ChatStreamCallbacks {
  /** The conversation; give this or `prompt`. */
  messages?: ChatMessage[];
  /** A single user message; give this or `messages`. */
  prompt?: string;
  model?: string;
  /** Sampling and tool parameters (`temperature`, `max_tokens`, `tools`, ...), merged into the JSON body. */
  parameters?: Record<string, unknown>;
  /**
   * Reconnect after a dropped connection with `GET /v1/streams/{id}` and `Last-Event-ID`; `false` fails
   * at the first drop. The first request itself is never repeated. Unless `false`, the stream is asked
   * for as resumable (`"resumable": true`), so the server keeps it going through a drop.
   */
  reconnect?: ReconnectOptions | false;
  /** Send `DELETE /v1/streams/{id}` when the client gives up, so a stream kept alive for a resume stops at once. @default true */
  cancelOnAbort?: boolean;
}

/**
 * Streams one answer from `POST /v1/chat/stream` in the Sluice event dialect.
 *
 * ```ts
 * for await (const event of streamChat({ baseUrl, prompt: 'Hi' })) {
 *   if (event.type === 'token') process.stdout.write(event.delta);
 * }
 * const text = await streamChat({ baseUrl, messages }).text();
 * ```
 */
export function streamChat(options: StreamChatOptions): ChatStream {
  if (options.messages === undefined && options.prompt === undefined) {
    throw new SluiceClientError('bad_request', 'streamChat needs `messages` or `prompt`', { param: 'messages' });
  }
  const body = {
    ...options.parameters,
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.messages === undefined ? { prompt: options.prompt } : { messages: options.messages }),
    ...(options.reconnect === false ? {} : { resumable: true }),
  };
  const credentials = options.credentials ?? 'same-origin';
  const streamsUrl = (streamId: string) => resolveEndpoint(options, `v1/streams/${encodeURIComponent(streamId)}`);
  const request = {
    url: resolveEndpoint(options, 'v1/chat/stream'),
    init: {
      method: 'POST',
      headers: createHeaders(options, { accept: 'text/event-stream', 'content-type': 'application/json' }),
      body: JSON.stringify(body),
      credentials,
    },
  };

  return new ChatStream(
    (signal, reconnectCallbacks) =>
      openEventStream({
        fetch: resolveFetch(options),
        decoder: createSluiceEventDecoder(),
        request,
        createResumeRequest: (streamId, lastEventId) => ({
          url: streamsUrl(streamId),
          init: {
            method: 'GET',
            headers: createHeaders(options, { accept: 'text/event-stream', 'last-event-id': lastEventId }),
            credentials,
          },
        }),
        ...(options.cancelOnAbort === false
          ? {}
          : {
              createCancelRequest: (streamId: string) => ({
                url: streamsUrl(streamId),
                init: { method: 'DELETE', headers: createHeaders(options, {}), credentials },
              }),
            }),
        firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? defaultFirstTokenTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? defaultIdleTimeoutMs,
        reconnect: resolveReconnectPolicy(options.reconnect),
        signal: options.signal === undefined ? signal : AbortSignal.any([signal, options.signal]),
        ...reconnectCallbacks,
      }),
    options,
  );
}
