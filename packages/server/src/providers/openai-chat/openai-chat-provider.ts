import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type ContinuationMethod, SluiceError, type StreamPart } from '@sluice/protocol';
import type { Provider } from '../provider.ts';
import { mapSseStream, parseJsonData } from '../map-sse-stream.ts';
import { createSseProvider } from '../sse-provider.ts';
import { toChatCompletionsBody } from './convert-request.ts';
import { createChunkMappingState, finishParts, mapChunk } from './map-chunk.ts';
import { doneSentinel, type ChatCompletionChunk } from './wire-schema.ts';

export interface OpenAIChatProviderOptions {
  /** Base URL including the version path, e.g. https://api.openai.com/v1 or http://localhost:8000/v1. */
  baseUrl: string;
  apiKey: string | undefined;
  pool: Dispatcher;
  /** How a cut answer is continued (a route's `continueOnFailure`). @default 'instruction' */
  continuation?: ContinuationMethod;
  /** The largest line or event the upstream may send (see `mapSseStream`). */
  maxEventBytes?: number;
}

/** OpenAI Chat Completions and every server that speaks it (vLLM, Ollama, llama.cpp server). */
export function createOpenAIChatProvider(options: OpenAIChatProviderOptions): Provider {
  return createSseProvider({
    name: 'openai-chat',
    url: `${options.baseUrl}/chat/completions`,
    pool: options.pool,
    maxEventBytes: options.maxEventBytes,
    apiKey: options.apiKey,
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    continuation: { method: options.continuation ?? 'instruction', trimsTrailingWhitespace: false },
    toBody: toChatCompletionsBody,
    read: readChatCompletionStream,
  });
}

/** Translates a Chat Completions event stream body into parts; ends after `[DONE]` or an error chunk. */
export function readChatCompletionStream(body: Readable, maxEventBytes?: number): AsyncIterableIterator<StreamPart[]> {
  const state = createChunkMappingState();
  let done = false;
  return mapSseStream(body, {
    isFinal: (message) => message.data === doneSentinel,
    mapEvent(message, parts) {
      if (done) return;
      if (message.data === doneSentinel) {
        done = true;
        finishParts(state, parts);
        return;
      }
      mapChunk(state, parseJsonData(message.data) as ChatCompletionChunk, parts);
    },
    mapEnd(parts) {
      // Some servers end the body right after the chunk with finish_reason, without `[DONE]`: the answer
      // is whole. Without a finish reason the stream was cut, and that is never a normal ending.
      if (!state.finishReason) throw new SluiceError('upstream_error', 'The upstream closed the stream before it finished');
      finishParts(state, parts);
    },
  }, maxEventBytes);
}
