import type { FinishReason, StreamPart } from '@sluice/protocol';
import { mapErrorCode, mapIncompleteReason } from './finish-reason.ts';
import type { ResponseObject, ResponseStreamEvent } from './wire-schema.ts';

export interface ResponsesMappingState {
  /** Output index of a function call item → tool call index (calls count from 0 among the items). */
  toolIndexByOutput: Map<number, number>;
  finished: boolean;
}

export function createResponsesMappingState(): ResponsesMappingState {
  return { toolIndexByOutput: new Map(), finished: false };
}

/**
 * Translates one Responses event into parts, appending to `parts`. A refusal is relayed as text, as the
 * Chat Completions adapter does, so that a client always sees why there is no answer.
 */
export function mapResponsesEvent(state: ResponsesMappingState, event: ResponseStreamEvent, parts: StreamPart[]): void {
  switch (event.type) {
    case 'response.created':
      parts.push({ type: 'response-metadata', id: event.response?.id, model: event.response?.model });
      return;
    case 'response.output_item.added': {
      const item = event.item;
      if (item?.type !== 'function_call' || typeof event.output_index !== 'number') return;
      const toolIndex = state.toolIndexByOutput.size;
      state.toolIndexByOutput.set(event.output_index, toolIndex);
      parts.push({ type: 'tool-call-delta', index: toolIndex, id: item.call_id, name: item.name, argumentsDelta: item.arguments ?? '' });
      return;
    }
    case 'response.function_call_arguments.delta': {
      const toolIndex = typeof event.output_index === 'number' ? state.toolIndexByOutput.get(event.output_index) : undefined;
      if (toolIndex !== undefined && event.delta) parts.push({ type: 'tool-call-delta', index: toolIndex, argumentsDelta: event.delta });
      return;
    }
    case 'response.output_text.delta':
    case 'response.refusal.delta':
      if (event.delta) parts.push({ type: 'text-delta', text: event.delta });
      return;
    case 'response.reasoning_text.delta':
    case 'response.reasoning_summary_text.delta':
      if (event.delta) parts.push({ type: 'reasoning-delta', text: event.delta });
      return;
    case 'response.completed':
      state.finished = true;
      finishParts(event.response, state.toolIndexByOutput.size > 0 ? 'tool_calls' : 'stop', parts);
      return;
    case 'response.incomplete':
      state.finished = true;
      finishParts(event.response, mapIncompleteReason(event.response?.incomplete_details?.reason), parts);
      return;
    case 'response.failed':
      errorPart(event.response?.error?.code, event.response?.error?.message, parts);
      return;
    case 'error':
      errorPart(event.code, event.message, parts);
      return;
    default:
      return;
  }
}

function finishParts(response: ResponseObject | undefined, finishReason: FinishReason, parts: StreamPart[]): void {
  const usage = response?.usage;
  if (usage && typeof usage.input_tokens === 'number' && typeof usage.output_tokens === 'number') {
    parts.push({
      type: 'usage',
      usage: {
        promptTokens: usage.input_tokens,
        completionTokens: usage.output_tokens,
        totalTokens: usage.total_tokens ?? usage.input_tokens + usage.output_tokens,
        estimated: false,
      },
    });
  }
  parts.push({ type: 'finish', finishReason });
}

function errorPart(code: string | null | undefined, message: string | undefined, parts: StreamPart[]): void {
  parts.push({ type: 'error', code: mapErrorCode(code), message: `Upstream error: ${message || 'the upstream reported an error'}`, retryable: true });
}
