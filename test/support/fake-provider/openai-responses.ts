/**
 * OpenAI Responses, `POST /v1/responses` (https://platform.openai.com/docs/api-reference/responses-streaming):
 * named SSE events whose `event:` equals the payload `type`, each with a `sequence_number` counting from 0:
 * `response.created`, `response.in_progress`, per output item `response.output_item.added` … `.done`
 * (a message: `response.content_part.added`, `response.output_text.delta`, `response.output_text.done`,
 * `response.content_part.done`; a function call: `response.function_call_arguments.delta` / `.done`), then
 * `response.completed` with usage, or `response.incomplete` when the answer hit its token limit.
 * An in-stream failure is `error` followed by `response.failed`. Reasoning items are not produced.
 */

import type { Endpoint, EventStream, Frame, RequestContext } from './endpoint.ts';
import { sseEvent } from './endpoint.ts';
import { openAiErrorBody } from './openai-error.ts';
import {
  answerTokens,
  answerTokenStream,
  countCompletionTokens,
  estimatePromptTokens,
  finishReasonOf,
  groupTokens,
  splitIntoFragments,
  type Scenario,
} from './scenario.ts';

export const openAiResponsesEndpoint: Endpoint = {
  requestIdHeader: 'x-request-id',
  isStreaming: (body) => body?.stream === true,
  stream: streamResponse,
  complete: (context) => responseObject(context, finalStatus(context.scenario), finalOutput(context), countCompletionTokens(context.scenario)),
  errorBody: openAiErrorBody,
};

type Item = Record<string, unknown>;

function finalStatus(scenario: Scenario): 'completed' | 'incomplete' {
  return finishReasonOf(scenario) === 'length' ? 'incomplete' : 'completed';
}

function responseObject(context: RequestContext, status: string, output: Item[], outputTokens: number | undefined) {
  const scenario = context.scenario;
  const inputTokens = scenario.usage ? scenario.usage.prompt_tokens : estimatePromptTokens(context.body);
  const completion = scenario.usage ? scenario.usage.completion_tokens : outputTokens;
  const usage =
    completion === undefined || scenario.usage === false
      ? null
      : {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: completion,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + completion,
        };
  return {
    id: `resp_fake${context.serial}`,
    object: 'response',
    created_at: context.created,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: null,
    max_output_tokens: context.body?.max_output_tokens ?? null,
    model: context.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

const messageId = (context: RequestContext) => `msg_fake${context.serial}`;
const functionCallId = (context: RequestContext, index: number) => `fc_fake${context.serial}_${index}`;

function textPart(text: string) {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function messageItem(context: RequestContext, status: string, text: string | undefined): Item {
  return { id: messageId(context), type: 'message', status, content: text === undefined ? [] : [textPart(text)], role: 'assistant' };
}

function functionCallItem(context: RequestContext, index: number, status: string, argumentsText: string): Item {
  const call = context.scenario.toolCalls![index]!;
  return { id: functionCallId(context, index), type: 'function_call', status, arguments: argumentsText, call_id: call.id, name: call.name };
}

function finalOutput(context: RequestContext): Item[] {
  const scenario = context.scenario;
  const itemStatus = finalStatus(scenario);
  const tokens = answerTokens(scenario);
  const output: Item[] = tokens.length > 0 ? [messageItem(context, itemStatus, tokens.join(''))] : [];
  for (const [index, call] of (scenario.toolCalls ?? []).entries()) output.push(functionCallItem(context, index, 'completed', call.arguments));
  return output;
}

function streamResponse(context: RequestContext): EventStream {
  const scenario = context.scenario;
  let sequenceNumber = 0;
  let outputTokens = 0;

  const frame = (type: string, data: Record<string, unknown>, tokens = 0, phase: Frame['phase'] = 'content'): Frame => ({
    text: sseEvent(type, { type, sequence_number: sequenceNumber++, ...data }),
    tokens,
    phase,
  });

  function* messageFrames(outputIndex: number): Generator<Frame> {
    const item_id = messageId(context);
    const at = { item_id, output_index: outputIndex, content_index: 0 };
    yield frame('response.output_item.added', { output_index: outputIndex, item: messageItem(context, 'in_progress', undefined) });
    yield frame('response.content_part.added', { ...at, part: textPart('') });
    let text = '';
    for (const group of groupTokens(answerTokenStream(scenario), scenario.tokensPerEvent ?? 1)) {
      text += group.text;
      outputTokens += group.count;
      yield frame('response.output_text.delta', { ...at, delta: group.text, logprobs: [] }, group.count);
    }
    yield frame('response.output_text.done', { ...at, text, logprobs: [] });
    yield frame('response.content_part.done', { ...at, part: textPart(text) });
    yield frame('response.output_item.done', { output_index: outputIndex, item: messageItem(context, finalStatus(scenario), text) });
  }

  function* functionCallFrames(index: number, outputIndex: number): Generator<Frame> {
    const argumentsText = scenario.toolCalls![index]!.arguments;
    const at = { item_id: functionCallId(context, index), output_index: outputIndex };
    yield frame('response.output_item.added', { output_index: outputIndex, item: functionCallItem(context, index, 'in_progress', '') });
    for (const fragment of splitIntoFragments(argumentsText)) {
      outputTokens += 1;
      yield frame('response.function_call_arguments.delta', { ...at, delta: fragment }, 1);
    }
    yield frame('response.function_call_arguments.done', { ...at, arguments: argumentsText });
    yield frame('response.output_item.done', { output_index: outputIndex, item: functionCallItem(context, index, 'completed', argumentsText) });
  }

  function* frames(): Generator<Frame> {
    yield frame('response.created', { response: responseObject(context, 'in_progress', [], undefined) }, 0, 'head');
    yield frame('response.in_progress', { response: responseObject(context, 'in_progress', [], undefined) }, 0, 'head');
    let outputIndex = 0;
    if (scenario.infinite || answerTokens(scenario).length > 0) yield* messageFrames(outputIndex++);
    for (const index of (scenario.toolCalls ?? []).keys()) yield* functionCallFrames(index, outputIndex++);
    const status = finalStatus(scenario);
    const response = responseObject(context, status, finalOutput(context), outputTokens);
    yield frame(`response.${status}`, { response }, 0, 'tail');
  }

  return {
    frames: frames(),
    errorFrame() {
      const message = 'The server had an error while processing your request. Sorry about that!';
      const error = frame('error', { code: 'server_error', message, param: null });
      const failed = { ...responseObject(context, 'failed', [], undefined), error: { code: 'server_error', message } };
      return error.text + frame('response.failed', { response: failed }).text;
    },
    garbageFrame: () => 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta", this is not json\n\n',
  };
}
