import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type ContinuationMethod, SluiceError, type StreamPart } from '@sluice/protocol';
import type { Provider } from '../provider.ts';
import { mapSseStream, parseJsonData } from '../map-sse-stream.ts';
import { createSseProvider } from '../sse-provider.ts';
import { toResponsesBody } from './convert-request.ts';
import { createResponsesMappingState, mapResponsesEvent } from './map-event.ts';
import type { ResponseStreamEvent } from './wire-schema.ts';

export interface OpenAIResponsesProviderOptions {
  /** Base URL including the version path, e.g. https://api.openai.com/v1. */
  baseUrl: string;
  apiKey: string | undefined;
  pool: Dispatcher;
  /** How a cut answer is continued (a route's `continueOnFailure`). @default 'instruction' */
  continuation?: ContinuationMethod;
  /** The largest line or event the upstream may send (see `mapSseStream`). */
  maxEventBytes?: number;
}

const terminalEvents = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/** The OpenAI Responses API (`POST /v1/responses`, streaming). */
export function createOpenAIResponsesProvider(options: OpenAIResponsesProviderOptions): Provider {
  return createSseProvider({
    name: 'openai-responses',
    url: `${options.baseUrl}/responses`,
    pool: options.pool,
    maxEventBytes: options.maxEventBytes,
    apiKey: options.apiKey,
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    continuation: { method: options.continuation ?? 'instruction', trimsTrailingWhitespace: false },
    toBody: toResponsesBody,
    read: readResponsesStream,
  });
}

/** Translates a Responses event stream body into parts; ends after the response's terminal event or `error`. */
export function readResponsesStream(body: Readable, maxEventBytes?: number): AsyncIterableIterator<StreamPart[]> {
  const state = createResponsesMappingState();
  return mapSseStream(body, {
    isFinal: (message) => terminalEvents.has(message.event ?? ''),
    mapEvent(message, parts) {
      const event = parseJsonData(message.data) as ResponseStreamEvent;
      if (typeof event.type !== 'string') throw new SluiceError('upstream_error', 'The upstream sent an event without a type');
      mapResponsesEvent(state, event, parts);
    },
    mapEnd() {
      if (!state.finished) throw new SluiceError('upstream_error', 'The upstream closed the stream before it finished');
    },
  }, maxEventBytes);
}
