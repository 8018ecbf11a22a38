import type { ChatMessage } from '@sluice/protocol';
import { ChatStream, type ChatStreamCallbacks } from './chat-stream.ts';
import {
  createHeaders,
  defaultFirstTokenTimeoutMs,
  defaultIdleTimeoutMs,
  resolveEndpoint,
  resolveFetch,
  type ConnectionOptions,
} from './connection-options.ts';
import { createOpenAIChunkDecoder } from './openai-chunk-decoder.ts';
import { openEventStream } from './open-event-stream.ts';

export interface StreamOpenAIChatOptions extends ConnectionOptions, ChatStreamCallbacks {
  messages: ChatMessage[];
  model: string;
  /** Sampling and tool parameters, merged into the JSON body. */
  parameters?: Record<string, unknown>;
}

/**
 * Streams `POST v1/chat/completions` of any OpenAI-compatible server (Sluice's own included) as the
 * same ChatStream as `streamChat`. That dialect has no event ids, so a dropped connection cannot be
 * resumed: it fails with `truncated_stream` or `network_error`.
 */
export function streamOpenAIChat(options: StreamOpenAIChatOptions): ChatStream {
  const request = {
    url: resolveEndpoint(options, 'v1/chat/completions'),
    init: {
      method: 'POST',
      headers: createHeaders(options, { accept: 'text/event-stream', 'content-type': 'application/json' }),
      body: JSON.stringify({
        ...options.parameters,
        model: options.model,
        messages: options.messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
      credentials: options.credentials ?? 'same-origin',
    },
  };
  return new ChatStream(
    (signal) =>
      openEventStream({
        fetch: resolveFetch(options),
        decoder: createOpenAIChunkDecoder(),
        request,
        firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? defaultFirstTokenTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? defaultIdleTimeoutMs,
        reconnect: false,
        signal: options.signal === undefined ? signal : AbortSignal.any([signal, options.signal]),
      }),
    options,
  );
}
