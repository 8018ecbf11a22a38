import type { ChatRequest } from '@sluice/protocol';

/**
 * The upstream body: the client's parameters and messages unchanged, the routed model, and streaming
 * with usage always on (Sluice streams upstream even for non-streaming clients, so that cancel,
 * timeouts and accounting work the same way for both).
 */
export function toChatCompletionsBody(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  const streamOptions = request.parameters.stream_options;
  return {
    ...request.parameters,
    model: upstreamModel,
    messages: request.messages,
    stream: true,
    stream_options: { ...(isObject(streamOptions) ? streamOptions : {}), include_usage: true },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
