/**
 * Anthropic Messages, `POST /v1/messages` (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
 * named SSE events `message_start`, then per content block `content_block_start`, `content_block_delta`
 * (`thinking_delta` + `signature_delta`, `text_delta`, `input_json_delta`), `content_block_stop`, a `ping`
 * after the first block opens, then `message_delta` with `stop_reason` and cumulative usage, `message_stop`.
 * Usage is always reported: the schema requires it on `message_start` and `message_delta`.
 */

import type { Endpoint, EventStream, Frame, RequestContext } from './endpoint.ts';
import { sseEvent } from './endpoint.ts';
import {
  answerTokens,
  answerTokenStream,
  countCompletionTokens,
  estimatePromptTokens,
  finishReasonOf,
  groupTokens,
  splitIntoFragments,
  splitIntoTokens,
  type Scenario,
} from './scenario.ts';

export const anthropicMessagesEndpoint: Endpoint = {
  requestIdHeader: 'request-id',
  isStreaming: (body) => body?.stream === true,
  stream: streamMessage,
  complete: completeMessage,
  errorBody: anthropicErrorBody,
};

// https://docs.anthropic.com/en/api/errors
const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, requestId: string) {
  const type = errorTypes[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: `Fake ${type} (status ${status}).` }, request_id: requestId };
}

const stopReasons: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' };

function stopReasonOf(scenario: Scenario): string {
  const finishReason = finishReasonOf(scenario);
  return stopReasons[finishReason] ?? finishReason;
}

function streamMessage(context: RequestContext): EventStream {
  const scenario = context.scenario;
  const tokensPerEvent = scenario.tokensPerEvent ?? 1;
  const inputTokens = scenario.usage ? scenario.usage.prompt_tokens : estimatePromptTokens(context.body);
  let outputTokens = 0;
  let index = 0;

  const frame = (event: string, data: Record<string, unknown>, tokens = 0, phase: Frame['phase'] = 'content'): Frame => ({
    text: sseEvent(event, { type: event, ...data }),
    tokens,
    phase,
  });

  function* block(contentBlock: unknown, deltas: Iterable<{ delta: unknown; tokens: number }>): Generator<Frame> {
    yield frame('content_block_start', { index, content_block: contentBlock });
    if (index === 0) yield frame('ping', {});
    for (const { delta, tokens } of deltas) {
      outputTokens += tokens;
      yield frame('content_block_delta', { index, delta }, tokens);
    }
    yield frame('content_block_stop', { index });
    index += 1;
  }

  function* frames(): Generator<Frame> {
    yield frame(
      'message_start',
      {
        message: {
          id: `msg_fake${context.serial}`,
          type: 'message',
          role: 'assistant',
          model: context.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
        },
      },
      0,
      'head',
    );
    if (scenario.reasoning !== undefined) {
      yield* block({ type: 'thinking', thinking: '', signature: '' }, [
        ...[...groupTokens(splitIntoTokens(scenario.reasoning), tokensPerEvent)].map((group) => ({
          delta: { type: 'thinking_delta', thinking: group.text },
          tokens: group.count,
        })),
        { delta: { type: 'signature_delta', signature: `fake-signature-${context.serial}` }, tokens: 0 },
      ]);
    }
    if (scenario.infinite || answerTokens(scenario).length > 0) {
      const deltas = function* () {
        for (const group of groupTokens(answerTokenStream(scenario), tokensPerEvent)) {
          yield { delta: { type: 'text_delta', text: group.text }, tokens: group.count };
        }
      };
      yield* block({ type: 'text', text: '' }, deltas());
    }
    for (const call of scenario.toolCalls ?? []) {
      yield* block(
        { type: 'tool_use', id: call.id, name: call.name, input: {} },
        splitIntoFragments(call.arguments).map((fragment) => ({ delta: { type: 'input_json_delta', partial_json: fragment }, tokens: 1 })),
      );
    }
    const finalOutputTokens = scenario.usage ? scenario.usage.completion_tokens : outputTokens;
    yield frame('message_delta', { delta: { stop_reason: stopReasonOf(scenario), stop_sequence: null }, usage: { output_tokens: finalOutputTokens } }, 0, 'tail');
    yield frame('message_stop', {}, 0, 'tail');
  }

  return {
    frames: frames(),
    errorFrame: () => sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    garbageFrame: () => 'event: content_block_delta\ndata: {"type":"content_block_delta", this is not json\n\n',
  };
}

function completeMessage(context: RequestContext): unknown {
  const scenario = context.scenario;
  const tokens = answerTokens(scenario);
  const content: unknown[] = [];
  if (scenario.reasoning !== undefined) {
    content.push({ type: 'thinking', thinking: scenario.reasoning, signature: `fake-signature-${context.serial}` });
  }
  if (tokens.length > 0) content.push({ type: 'text', text: tokens.join('') });
  for (const call of scenario.toolCalls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: JSON.parse(call.arguments) });
  }
  return {
    id: `msg_fake${context.serial}`,
    type: 'message',
    role: 'assistant',
    model: context.model,
    content,
    stop_reason: stopReasonOf(scenario),
    stop_sequence: null,
    usage: {
      input_tokens: scenario.usage ? scenario.usage.prompt_tokens : estimatePromptTokens(context.body),
      output_tokens: scenario.usage ? scenario.usage.completion_tokens : countCompletionTokens(scenario),
    },
  };
}
