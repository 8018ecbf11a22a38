import type { FinishReason } from '@sluice/protocol';

/** Sluice's finish reason as Anthropic's `stop_reason`. */
export function toStopReason(reason: FinishReason): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
