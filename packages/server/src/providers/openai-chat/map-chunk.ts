import { type FinishReason, SluiceError, type StreamPart, type Usage } from '@sluice/protocol';
import type { ChatCompletionChunk, ChunkToolCall } from './wire-schema.ts';
import { mapFinishReason } from './finish-reason.ts';

export interface ChunkMappingState {
  sentMetadata: boolean;
  finishReason: FinishReason | undefined;
  /** The latest usage the upstream reported; vLLM's `continuous_usage_stats` repeats it on every chunk. */
  usage: Usage | undefined;
  /** Tool calls seen so far, by the upstream's index: Sluice's index and the call's id. */
  toolCalls: Map<number, { index: number; id: string | undefined }>;
  nextToolIndex: number;
}

export function createChunkMappingState(): ChunkMappingState {
  return { sentMetadata: false, finishReason: undefined, usage: undefined, toolCalls: new Map(), nextToolIndex: 0 };
}

/**
 * Translates one chunk into stream parts, appending to `parts`. The finish reason and usage are held in
 * `state` and emitted at `[DONE]` (see `finishPart`), because OpenAI sends usage in a chunk after the one
 * with `finish_reason`, and Sluice's order is usage, then finish.
 */
export function mapChunk(state: ChunkMappingState, chunk: ChatCompletionChunk, parts: StreamPart[]): void {
  if (chunk.error) {
    const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'The upstream reported an error';
    parts.push({ type: 'error', code: 'upstream_error', message: `Upstream error: ${message}`, retryable: true });
    return;
  }
  if (!state.sentMetadata && (chunk.id !== undefined || chunk.model !== undefined)) {
    state.sentMetadata = true;
    parts.push({ type: 'response-metadata', id: chunk.id, model: chunk.model });
  }
  const choices = chunk.choices;
  if (choices !== undefined && !Array.isArray(choices)) {
    throw new SluiceError('upstream_error', 'The upstream sent a chunk whose "choices" is not an array');
  }
  // Sluice asks for one choice (n is the client's to set, but only choice 0 is relayed).
  const choice = choices?.find((candidate) => (candidate.index ?? 0) === 0);
  if (choice) {
    const delta = choice.delta;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === 'string' && reasoning !== '') parts.push({ type: 'reasoning-delta', text: reasoning });
      if (typeof delta.content === 'string' && delta.content !== '') parts.push({ type: 'text-delta', text: delta.content });
      if (typeof delta.refusal === 'string' && delta.refusal !== '') parts.push({ type: 'text-delta', text: delta.refusal });
      if (Array.isArray(delta.tool_calls)) {
        for (const [position, call] of delta.tool_calls.entries()) {
          parts.push({
            type: 'tool-call-delta',
            index: toolIndexOf(state, call, position),
            id: call.id,
            name: call.function?.name,
            argumentsDelta: call.function?.arguments ?? '',
          });
        }
      }
    }
    const finishReason = mapFinishReason(choice.finish_reason);
    if (finishReason) state.finishReason = finishReason;
  }
  const usage = chunk.usage;
  if (usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number') {
    state.usage = {
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      totalTokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
      estimated: false,
    };
  }
}

/** `usage` (when reported) and `finish` at `[DONE]`; a `[DONE]` without any finish reason is a plain stop. */
export function finishParts(state: ChunkMappingState, parts: StreamPart[]): void {
  if (state.usage) parts.push({ type: 'usage', usage: state.usage });
  parts.push({ type: 'finish', finishReason: state.finishReason ?? 'stop' });
}

/**
 * Sluice's index for a tool call delta. OpenAI numbers calls 0, 1, ... and sends the id with a call's
 * first delta; Ollama has sent no index at all (ollama/ollama#7881) and then index 0 for every call
 * (ollama/ollama#15457), each call still with its own id. So a delta whose id differs from the call
 * already at its upstream index starts a new call, and a missing index is the delta's position.
 */
function toolIndexOf(state: ChunkMappingState, call: ChunkToolCall, position: number): number {
  const upstreamIndex = call.index ?? position;
  const known = state.toolCalls.get(upstreamIndex);
  if (known && (call.id === undefined || call.id === known.id)) return known.index;
  const index = state.nextToolIndex++;
  state.toolCalls.set(upstreamIndex, { index, id: call.id });
  return index;
}
