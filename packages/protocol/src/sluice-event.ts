/**
 * The Sluice event dialect: what `GET/POST /v1/chat/stream` sends and what `sluice/client` reads.
 * Each event is one SSE message whose `event:` equals `type`, whose `data:` is this object as one JSON
 * line, and whose `id:` is `<streamId>:<sequence>`.
 */

import type { SluiceErrorCode } from './errors.ts';
import type { Source } from './stream-part.ts';

export interface MetaEvent {
  type: 'meta';
  stream_id: string;
  trace_id: string;
  model: string;
  created: number;
  /** Present and true when the answer comes from the built-in demo model, not a real one. */
  demo?: boolean;
  /**
   * Present when the route continues an answer whose upstream failed mid-stream (`continueOnFailure`):
   * `exact` when every upstream of the route continues from a prefill, `instruction` when one of them
   * can only be asked to go on (OpenAI), so that a continued answer's seam is best effort.
   */
  continuation?: 'exact' | 'instruction';
  /** Present when the request asked for `retrieval`: what was searched, how many sources came back, and how long it took. */
  retrieval?: { collection: string; source_count: number; duration_ms: number };
}

export interface TokenEvent {
  type: 'token';
  delta: string;
}

export interface ToolCallEvent {
  type: 'tool_call';
  index: number;
  id?: string;
  name?: string;
  arguments_delta: string;
}

/**
 * For structured output (`response_format` with a JSON schema): the best-effort parse of the answer's
 * JSON so far, after the `token` events that changed it, so that a UI can render a half-finished object.
 * Strings may be cut short and keys whose value has not begun are absent; the last one before `done`
 * is the whole object when the answer was whole JSON.
 */
export interface ObjectEvent {
  type: 'object';
  object: unknown;
}

export interface SourcesEvent {
  type: 'sources';
  sources: Source[];
}

export interface UsageEvent {
  type: 'usage';
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  estimated: boolean;
}

/**
 * The upstream failed mid-answer and Sluice asked another attempt to go on from the text already sent:
 * the `token` events that follow continue the same answer. Tool calls listed in `restarted_tool_calls`
 * were cut and are void; the calls made after this event carry new indices.
 */
export interface ContinuedEvent {
  type: 'continued';
  attempt: number;
  /** `owner_lost`: the instance generating the stream died, and another one took it over. */
  trigger: 'connection' | 'timeout' | 'upstream_error' | 'owner_lost';
  method: 'prefill' | 'continue-final-message' | 'instruction';
  restarted_tool_calls?: number[];
}

export interface ErrorEvent {
  type: 'error';
  code: SluiceErrorCode;
  message: string;
  retryable: boolean;
}

export type DoneFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'cancelled' | 'error';

export interface DoneEvent {
  type: 'done';
  finish_reason: DoneFinishReason;
  /** On a grounded answer: the numbers of the sources it cited (`1` is the first of the `sources` event), ascending. */
  citations?: number[];
}

export type SluiceEvent = MetaEvent | TokenEvent | ToolCallEvent | ObjectEvent | SourcesEvent | UsageEvent | ContinuedEvent | ErrorEvent | DoneEvent;

export type SluiceEventType = SluiceEvent['type'];
