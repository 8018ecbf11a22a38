/**
 * The parts of Anthropic's Messages stream that Sluice reads
 * (https://docs.anthropic.com/en/docs/build-with-claude/streaming). Every SSE message is named, and its
 * `data` is a JSON object whose `type` equals the name. Anthropic may add event and block types; unknown
 * ones are skipped, as the documentation asks. Fields are optional and checked where they are used.
 */

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface MessageStartEvent {
  type: 'message_start';
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
}

export interface ContentBlockStartEvent {
  type: 'content_block_start';
  index?: number;
  content_block?: { type?: string; id?: string; name?: string; text?: string; thinking?: string };
}

export interface ContentBlockDeltaEvent {
  type: 'content_block_delta';
  index?: number;
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string };
}

export interface MessageDeltaEvent {
  type: 'message_delta';
  delta?: { stop_reason?: string | null };
  /** Cumulative counts for the whole message; `input_tokens` and the cache counts appear when they apply. */
  usage?: AnthropicUsage;
}

export interface ErrorEvent {
  type: 'error';
  error?: { type?: string; message?: string };
}

/** The events Sluice acts on; `ping`, `content_block_stop` and unknown types carry nothing it needs. */
export type AnthropicStreamEvent =
  | MessageStartEvent
  | ContentBlockStartEvent
  | ContentBlockDeltaEvent
  | MessageDeltaEvent
  | ErrorEvent
  | { type: 'message_stop' | 'content_block_stop' | 'ping' };

/** The version Sluice's translation follows (https://docs.anthropic.com/en/api/versioning). */
export const anthropicVersion = '2023-06-01';
