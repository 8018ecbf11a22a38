import type { ChatRequest, ContinuationMethod, StreamPart } from '@sluice/protocol';

export interface ProviderStreamOptions {
  /**
   * Fired for every reason a stream ends early (client gone, timeout, send timeout, shutdown, cancel).
   * It stays attached to the upstream request for its whole life: aborting it closes the upstream socket.
   */
  signal: AbortSignal;
  /** The model to send upstream, after routing (the client's own name unless the config maps it). */
  upstreamModel: string;
  /** Sluice's request id, forwarded upstream as `x-request-id` for tracing. */
  requestId: string;
}

/**
 * An upstream adapter: provider wire format in, StreamPart out.
 *
 * `stream()` resolves once the upstream has accepted the request (status 2xx, headers read), so that a
 * failure before the first byte can still become a real HTTP status or a fallback; it rejects with a
 * SluiceError in that case. After that it yields parts in batches, each what one read of the upstream
 * completed, so that tokens that arrive together travel the pipeline together. Vendor error events are
 * yielded as `error` parts, and transport failures (a cut connection, garbage, an abort) are thrown from
 * the iterator for the pipeline to normalize. The iterable ends after a `finish` or `error` part, or throws.
 */
export interface Provider {
  readonly name: string;
  /** True for the built-in demo model, so that every surface can label it. */
  readonly demo: boolean;
  /** How this upstream is asked to go on with an answer whose stream failed (a route's `continueOnFailure`). */
  readonly continuation: ProviderContinuation;
  stream(request: ChatRequest, options: ProviderStreamOptions): Promise<AsyncIterable<StreamPart[]>>;
}

export interface ProviderContinuation {
  method: ContinuationMethod;
  /**
   * True where a final assistant turn must not end in whitespace (Anthropic rejects it): the prefill goes
   * without its trailing whitespace, and the model writes that whitespace again.
   */
  trimsTrailingWhitespace: boolean;
}
