import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type ContinuationMethod, SluiceError, type StreamPart } from '@sluice/protocol';
import type { Provider } from '../provider.ts';
import { mapSseStream, parseJsonData } from '../map-sse-stream.ts';
import { createSseProvider } from '../sse-provider.ts';
import { toAnthropicMessagesBody } from './convert-request.ts';
import { createAnthropicMappingState, mapAnthropicEvent } from './map-event.ts';
import { anthropicVersion, type AnthropicStreamEvent } from './wire-schema.ts';

export interface AnthropicMessagesProviderOptions {
  /** The API root as Anthropic's SDKs take it, e.g. https://api.anthropic.com (`/v1/messages` is appended). */
  baseUrl: string;
  apiKey: string | undefined;
  pool: Dispatcher;
  /** How a cut answer is continued (a route's `continueOnFailure`). @default 'prefill' */
  continuation?: ContinuationMethod;
  /** The largest line or event the upstream may send (see `mapSseStream`). */
  maxEventBytes?: number;
  /** Sent as `max_tokens`, which Anthropic requires, when the client set no limit. */
  defaultMaxTokens: number;
}

/** Anthropic Messages (`POST /v1/messages`, streaming) and servers that speak it. */
export function createAnthropicMessagesProvider(options: AnthropicMessagesProviderOptions): Provider {
  const headers: Record<string, string> = { 'anthropic-version': anthropicVersion };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  return createSseProvider({
    name: 'anthropic-messages',
    url: `${options.baseUrl}/v1/messages`,
    pool: options.pool,
    maxEventBytes: options.maxEventBytes,
    apiKey: options.apiKey,
    headers,
    continuation: { method: options.continuation ?? 'prefill', trimsTrailingWhitespace: true },
    toBody: (request, upstreamModel) => toAnthropicMessagesBody(request, upstreamModel, options.defaultMaxTokens),
    read: readAnthropicMessagesStream,
  });
}

/** Translates a Messages event stream body into parts; ends after `message_stop` or `error`. */
export function readAnthropicMessagesStream(body: Readable, maxEventBytes?: number): AsyncIterableIterator<StreamPart[]> {
  const state = createAnthropicMappingState();
  return mapSseStream(body, {
    isFinal: (message) => message.event === 'message_stop' || message.event === 'error',
    mapEvent(message, parts) {
      const event = parseJsonData(message.data) as AnthropicStreamEvent;
      if (typeof event.type !== 'string') throw new SluiceError('upstream_error', 'The upstream sent an event without a type');
      mapAnthropicEvent(state, event, parts);
    },
    mapEnd() {
      if (!state.finished) throw new SluiceError('upstream_error', 'The upstream closed the stream before it finished');
    },
  }, maxEventBytes);
}
