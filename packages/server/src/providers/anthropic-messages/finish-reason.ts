import type { FinishReason } from '@sluice/protocol';

/** Maps Anthropic's `stop_reason` (https://docs.anthropic.com/en/api/messages) onto Sluice's finish reason. */
export function mapStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn, and reasons added later: the answer ended normally.
      return 'stop';
  }
}
