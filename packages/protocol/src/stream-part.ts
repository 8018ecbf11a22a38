/**
 * The normalized vocabulary every provider translates into and every client dialect translates out of.
 * Nothing outside `providers/<vendor>/` knows a vendor's wire format; nothing outside `server/dialects/`
 * knows a client's.
 */

import type { SluiceErrorCode } from './errors.ts';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'cancelled' | 'error';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** True when counted by Sluice from what was delivered, because the upstream never reported usage. */
  estimated: boolean;
}

export interface Source {
  id: string;
  title: string;
  snippet: string;
  score: number;
  metadata: Record<string, unknown>;
}

/** Identifies the upstream response; providers emit it once, before any content, when they know it. */
export interface ResponseMetadataPart {
  type: 'response-metadata';
  id?: string;
  model?: string;
}

export interface TextDeltaPart {
  type: 'text-delta';
  text: string;
}

/** Model "thinking" (Anthropic thinking blocks, reasoning content of OpenAI-compatible servers). */
export interface ReasoningDeltaPart {
  type: 'reasoning-delta';
  text: string;
}

/**
 * A piece of a tool call. `id` and `name` arrive with the first delta of a call (`index`);
 * `argumentsDelta` is a fragment of the JSON arguments text.
 */
export interface ToolCallDeltaPart {
  type: 'tool-call-delta';
  index: number;
  id?: string;
  name?: string;
  argumentsDelta: string;
}

export interface SourcesPart {
  type: 'sources';
  sources: Source[];
}

export interface UsagePart {
  type: 'usage';
  usage: Usage;
}

export interface FinishPart {
  type: 'finish';
  finishReason: FinishReason;
  /**
   * On a grounded answer (a request with `retrieval`): the numbers of the sources the answer cited, as
   * it wrote them (`[1]` is the first source of the `sources` part), ascending. Absent otherwise.
   */
  citations?: number[];
}

/** What made an upstream fail after the first byte: its connection broke, it went quiet, or it sent an error event. */
export type ContinuationTrigger = 'connection' | 'timeout' | 'upstream_error';

/**
 * How an upstream is asked to go on with a cut answer: the partial text as the last `assistant` turn
 * (`prefill`: Anthropic, Ollama, llama.cpp's server), the same with vLLM's `continue_final_message`
 * (`continue-final-message`: vLLM, llama.cpp's server), or as an assistant turn followed by an instruction
 * to go on (`instruction`: OpenAI Chat and Responses, which have no prefill; the seam is then best effort).
 */
export type ContinuationMethod = 'prefill' | 'continue-final-message' | 'instruction';

/**
 * The upstream failed after the first byte and another attempt (`attempt`, from 2) goes on with the answer
 * from the text already sent. Tool calls of the failed attempt are not continued: the calls listed in
 * `restartedToolCalls` are void, and the continuation makes its calls under new indices.
 */
export interface ContinuedPart {
  type: 'continued';
  attempt: number;
  /** `owner_lost`: the instance generating the stream died, and another one took it over (with Redis). */
  trigger: ContinuationTrigger | 'owner_lost';
  method: ContinuationMethod;
  restartedToolCalls?: number[];
}

/** Terminal: nothing follows an error part. */
export interface ErrorPart {
  type: 'error';
  code: SluiceErrorCode;
  message: string;
  retryable: boolean;
}

export type StreamPart =
  | ResponseMetadataPart
  | TextDeltaPart
  | ReasoningDeltaPart
  | ToolCallDeltaPart
  | SourcesPart
  | UsagePart
  | ContinuedPart
  | FinishPart
  | ErrorPart;

export type StreamPartType = StreamPart['type'];

/** Call in the `default` branch of a switch over a union so that a new member fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled variant: ${JSON.stringify(value)}`);
}

/** `finish` and `error` end a stream: nothing follows them. */
export function isTerminalPart(part: StreamPart): boolean {
  return part.type === 'finish' || part.type === 'error';
}

/** Cuts a batch of parts after its first terminal part, in place; true when it has one. */
export function endAtTerminal(parts: StreamPart[]): boolean {
  const index = parts.findIndex(isTerminalPart);
  if (index === -1) return false;
  parts.length = index + 1;
  return true;
}
