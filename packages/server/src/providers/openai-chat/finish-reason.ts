import type { FinishReason } from '@sluice/protocol';

/** Maps OpenAI's `finish_reason` (and the legacy `function_call`) onto Sluice's. */
export function mapFinishReason(reason: string | null | undefined): FinishReason | undefined {
  switch (reason) {
    case null:
    case undefined:
      return undefined;
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      // Servers invent reasons (llama.cpp's "eos", for one); a finished answer is a stop.
      return 'stop';
  }
}
