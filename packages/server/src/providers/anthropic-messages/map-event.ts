import { type FinishReason, SluiceError, type StreamPart } from '@sluice/protocol';
import { mapErrorType } from './error-type.ts';
import { mapStopReason } from './finish-reason.ts';
import type { AnthropicStreamEvent, AnthropicUsage } from './wire-schema.ts';

export interface AnthropicMappingState {
  /** Content block index → tool call index (tool calls count from 0, whatever blocks come between). */
  toolIndexByBlock: Map<number, number>;
  finishReason: FinishReason | undefined;
  usage: AnthropicUsage;
  finished: boolean;
}

export function createAnthropicMappingState(): AnthropicMappingState {
  return { toolIndexByBlock: new Map(), finishReason: undefined, usage: {}, finished: false };
}

/**
 * Translates one Messages stream event into parts, appending to `parts`. Usage and the stop reason are
 * held until `message_stop`, which emits `usage` then `finish`: Anthropic reports the output count
 * cumulatively in `message_delta`, and only the last count is the message's.
 */
export function mapAnthropicEvent(state: AnthropicMappingState, event: AnthropicStreamEvent, parts: StreamPart[]): void {
  switch (event.type) {
    case 'message_start': {
      const message = event.message;
      if (message?.usage) Object.assign(state.usage, definedCounts(message.usage));
      parts.push({ type: 'response-metadata', id: message?.id, model: message?.model });
      return;
    }
    case 'content_block_start': {
      const block = event.content_block;
      if (block?.type === 'text' && block.text) parts.push({ type: 'text-delta', text: block.text });
      else if (block?.type === 'thinking' && block.thinking) parts.push({ type: 'reasoning-delta', text: block.thinking });
      else if (block?.type === 'tool_use') {
        const toolIndex = state.toolIndexByBlock.size;
        state.toolIndexByBlock.set(blockIndexOf(event.index), toolIndex);
        parts.push({ type: 'tool-call-delta', index: toolIndex, id: block.id, name: block.name, argumentsDelta: '' });
      }
      return;
    }
    case 'content_block_delta': {
      const delta = event.delta;
      if (delta?.type === 'text_delta' && delta.text) parts.push({ type: 'text-delta', text: delta.text });
      else if (delta?.type === 'thinking_delta' && delta.thinking) parts.push({ type: 'reasoning-delta', text: delta.thinking });
      else if (delta?.type === 'input_json_delta' && delta.partial_json) {
        const toolIndex = state.toolIndexByBlock.get(blockIndexOf(event.index));
        if (toolIndex === undefined) throw new SluiceError('upstream_error', `The upstream sent tool input for block ${event.index}, which is not a tool call`);
        parts.push({ type: 'tool-call-delta', index: toolIndex, argumentsDelta: delta.partial_json });
      }
      return;
    }
    case 'message_delta':
      if (event.delta?.stop_reason !== undefined) state.finishReason = mapStopReason(event.delta.stop_reason);
      if (event.usage) Object.assign(state.usage, definedCounts(event.usage));
      return;
    case 'message_stop':
      state.finished = true;
      finishParts(state, parts);
      return;
    case 'error': {
      const { code, retryable } = mapErrorType(event.error?.type);
      const message = event.error?.message || 'The upstream reported an error';
      parts.push({ type: 'error', code, message: `Upstream error: ${message}`, retryable });
      return;
    }
    case 'content_block_stop':
    case 'ping':
      return;
    default:
      // Event types added after this adapter was written are skipped, as Anthropic's versioning asks.
      return;
  }
}

/** `usage` (when Anthropic reported any) then `finish`. */
function finishParts(state: AnthropicMappingState, parts: StreamPart[]): void {
  const usage = state.usage;
  if (typeof usage.input_tokens === 'number' && typeof usage.output_tokens === 'number') {
    // Cached input is billed input too: Anthropic counts it apart from `input_tokens`.
    const promptTokens = usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
    parts.push({
      type: 'usage',
      usage: { promptTokens, completionTokens: usage.output_tokens, totalTokens: promptTokens + usage.output_tokens, estimated: false },
    });
  }
  parts.push({ type: 'finish', finishReason: state.finishReason ?? 'stop' });
}

function definedCounts(usage: AnthropicUsage): AnthropicUsage {
  const counts: AnthropicUsage = {};
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const value = usage[key];
    if (typeof value === 'number') counts[key] = value;
  }
  return counts;
}

function blockIndexOf(index: number | undefined): number {
  if (typeof index !== 'number') throw new SluiceError('upstream_error', 'The upstream sent a content block event without an index');
  return index;
}
