import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ChatRequest, StreamPart } from '@sluice/protocol';
import type { Provider, ProviderContinuation } from './provider.ts';
import { openUpstreamEventStream } from './upstream-http.ts';

/** What sets one event-stream API apart: where it listens, how it authenticates, its body and its events. */
export interface SseProviderSpec {
  name: string;
  url: string;
  pool: Dispatcher;
  /** The largest line or event the upstream may send (see `mapSseStream`). */
  maxEventBytes: number | undefined;
  /** Scrubbed from upstream error messages; also what `headers` authenticates with. */
  apiKey: string | undefined;
  /** Sent with every request (credentials, API version), besides Sluice's `x-request-id`. */
  headers: Record<string, string>;
  continuation: ProviderContinuation;
  toBody(request: ChatRequest, upstreamModel: string): unknown;
  read(body: Readable, maxEventBytes: number | undefined): AsyncIterable<StreamPart[]>;
}

/** A provider for an HTTP API that answers a POST with `text/event-stream`: the OpenAI and Anthropic ones. */
export function createSseProvider(spec: SseProviderSpec): Provider {
  const secrets = spec.apiKey ? [spec.apiKey] : [];
  return {
    name: spec.name,
    demo: false,
    continuation: spec.continuation,
    async stream(request, streamOptions) {
      const body = await openUpstreamEventStream(spec.pool, {
        url: spec.url,
        headers: { ...spec.headers, 'x-request-id': streamOptions.requestId },
        body: spec.toBody(request, streamOptions.upstreamModel),
        signal: streamOptions.signal,
        secrets,
      });
      return spec.read(body, spec.maxEventBytes);
    },
  };
}
