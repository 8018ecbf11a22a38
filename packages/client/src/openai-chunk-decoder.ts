import type { EventSourceMessage } from 'eventsource-parser';
import { type DoneFinishReason, errorCodes, type SluiceErrorCode, type SluiceEvent } from '@sluice/protocol';
import { SluiceClientError } from './client-error.ts';
import type { DecodedMessage, EventDecoder } from './event-decoder.ts';

/** The fields of an OpenAI `chat.completion.chunk` this decoder reads; compatible servers omit some. */
interface ChatCompletionChunk {
  id?: string;
  model?: string;
  created?: number;
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  error?: { message?: string; code?: unknown; type?: string };
}

const finishReasons: Record<string, DoneFinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

/**
 * Reads the OpenAI-compatible chat completions stream (`data: {chunk}` ... `data: [DONE]`) as Sluice
 * events: the first chunk gives `meta`, content `token`, tool call deltas `tool_call`, the usage chunk
 * `usage`, an in-band `{"error":...}` chunk `error`, and `[DONE]` the `done` that carries the finish
 * reason seen before it (the usage chunk comes after the finish reason).
 */
export function createOpenAIChunkDecoder(): EventDecoder {
  let traceId = '';
  let sentMeta = false;
  let finishReason: DoneFinishReason | undefined;

  return {
    begin(response) {
      traceId = response.headers.get('x-request-id') ?? '';
    },
    decode(message: EventSourceMessage): DecodedMessage {
      if (message.data === '[DONE]') {
        // Some compatible servers never send a finish reason; [DONE] itself still marks a complete answer.
        return { events: [{ type: 'done', finish_reason: finishReason ?? 'stop' }], terminal: true };
      }
      const chunk = parseChunk(message.data);
      const events: SluiceEvent[] = [];
      if (chunk.error !== undefined) {
        const { message: errorMessage, code, type } = chunk.error;
        events.push({
          type: 'error',
          code: toServerErrorCode(code ?? type),
          message: errorMessage ?? 'The upstream failed',
          retryable: false,
        });
        return { events, terminal: true };
      }
      if (!sentMeta) {
        sentMeta = true;
        events.push({ type: 'meta', stream_id: chunk.id ?? '', trace_id: traceId, model: chunk.model ?? '', created: chunk.created ?? 0 });
      }
      for (const choice of chunk.choices ?? []) {
        const content = choice.delta?.content;
        if (typeof content === 'string' && content !== '') events.push({ type: 'token', delta: content });
        for (const call of choice.delta?.tool_calls ?? []) {
          events.push({
            type: 'tool_call',
            index: call.index ?? 0,
            ...(call.id === undefined ? {} : { id: call.id }),
            ...(call.function?.name === undefined ? {} : { name: call.function.name }),
            arguments_delta: call.function?.arguments ?? '',
          });
        }
        if (typeof choice.finish_reason === 'string') finishReason = finishReasons[choice.finish_reason] ?? 'stop';
      }
      if (chunk.usage !== undefined && chunk.usage !== null) {
        const promptTokens = chunk.usage.prompt_tokens ?? 0;
        const completionTokens = chunk.usage.completion_tokens ?? 0;
        events.push({
          type: 'usage',
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: chunk.usage.total_tokens ?? promptTokens + completionTokens,
          estimated: false,
        });
      }
      return { events, terminal: false };
    },
  };
}

function parseChunk(data: string): ChatCompletionChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new SluiceClientError('malformed_stream', `A chunk is not valid JSON: ${data.slice(0, 120)}`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SluiceClientError('malformed_stream', `A chunk is not a JSON object: ${data.slice(0, 120)}`);
  }
  return value as ChatCompletionChunk;
}

/** Sluice's own `/v1/chat/completions` puts its codes in `error.code`; any other server's become `upstream_error`. */
function toServerErrorCode(value: unknown): SluiceErrorCode {
  return (errorCodes as readonly unknown[]).includes(value) ? (value as SluiceErrorCode) : 'upstream_error';
}
