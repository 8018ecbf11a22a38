/**
 * OpenAI Chat Completions, `POST /v1/chat/completions`
 * (https://platform.openai.com/docs/api-reference/chat-streaming): `data: {chat.completion.chunk}` lines,
 * a role chunk first, a finish chunk with an empty delta, with `stream_options.include_usage` a `usage: null`
 * on every chunk and a last chunk with empty `choices` and the usage, then `data: [DONE]`.
 */

import type { Endpoint, EventStream, Frame, RequestContext } from './endpoint.ts';
import { sseData, withLast } from './endpoint.ts';
import { flavourProfile, type FlavourProfile } from './openai-chat-flavours.ts';
import { openAiErrorBody } from './openai-error.ts';
import {
  answerTokens,
  answerTokenStream,
  countCompletionTokens,
  estimatePromptTokens,
  finishReasonOf,
  groupTokens,
  splitIntoFragments,
  splitIntoTokens,
} from './scenario.ts';

export const openAiChatEndpoint: Endpoint = {
  requestIdHeader: 'x-request-id',
  isStreaming: (body) => body?.stream === true,
  stream: streamChatCompletion,
  complete: completeChat,
  errorBody: openAiErrorBody,
};

interface ContentDelta {
  delta: Record<string, unknown>;
  tokens: number;
}

function streamChatCompletion(context: RequestContext): EventStream {
  const profile = flavourProfile(context.scenario.flavour);
  const id = profile.id(context.serial);
  const includeUsage = context.body?.stream_options?.include_usage === true && context.scenario.usage !== false;
  let completionTokens = 0;

  const chunk = (choices: unknown[], usage?: unknown) => ({
    id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    ...(profile.systemFingerprint === undefined ? {} : { system_fingerprint: profile.systemFingerprint }),
    choices,
    ...(usage !== undefined ? { usage } : includeUsage && profile.usageNullOnEveryChunk ? { usage: null } : {}),
    ...profile.extraFields?.(completionTokens),
  });
  const choice = (delta: Record<string, unknown>, finishReason: string | null) => ({
    index: 0,
    delta: profile.roleOnEveryDelta ? { role: 'assistant', ...delta } : delta,
    ...(profile.logprobsField ? { logprobs: null } : {}),
    finish_reason: finishReason,
  });

  function* frames(): Generator<Frame> {
    const scenario = context.scenario;
    const finishReason = finishReasonOf(scenario);
    if (profile.roleChunk) yield { text: sseData(chunk([choice(profile.roleDelta, null)])), tokens: 0, phase: 'head' };
    let finished = false;
    for (const [item, isLast] of withLast(contentDeltas(context, profile))) {
      completionTokens += item.tokens;
      const finishHere = isLast && profile.finishWithLastContent;
      finished ||= finishHere;
      yield { text: sseData(chunk([choice(item.delta, finishHere ? finishReason : null)])), tokens: item.tokens, phase: 'content' };
    }
    if (!finished) yield { text: sseData(chunk([choice(profile.finishDelta, finishReason)])), tokens: 0, phase: 'tail' };
    if (includeUsage) {
      const usage = usageOf(context, completionTokens);
      yield { text: sseData(chunk([], usage)), tokens: 0, phase: 'tail' };
    }
    yield { text: 'data: [DONE]\n\n', tokens: 0, phase: 'tail' };
  }

  return {
    frames: frames(),
    errorFrame: () => sseData(openAiErrorBody(500)),
    garbageFrame: () => 'data: {"choices":[{"delta": this is not json\n\n',
  };
}

function* contentDeltas(context: RequestContext, profile: FlavourProfile): Generator<ContentDelta> {
  const scenario = context.scenario;
  const tokensPerEvent = scenario.tokensPerEvent ?? 1;
  if (scenario.reasoning !== undefined && profile.reasoningField !== undefined) {
    for (const group of groupTokens(splitIntoTokens(scenario.reasoning), tokensPerEvent)) {
      yield { delta: { [profile.reasoningField]: group.text }, tokens: group.count };
    }
  }
  for (const group of groupTokens(answerTokenStream(scenario), tokensPerEvent)) {
    yield { delta: { content: group.text }, tokens: group.count };
  }
  for (const [index, call] of (scenario.toolCalls ?? []).entries()) {
    const opening = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    if (profile.wholeToolCalls) {
      yield { delta: { tool_calls: [{ ...opening, function: { name: call.name, arguments: call.arguments } }] }, tokens: 1 };
      continue;
    }
    yield { delta: { tool_calls: [opening] }, tokens: 0 };
    for (const fragment of splitIntoFragments(call.arguments)) {
      yield { delta: { tool_calls: [{ index, function: { arguments: fragment } }] }, tokens: 1 };
    }
  }
}

function usageOf(context: RequestContext, completionTokens: number) {
  const scripted = context.scenario.usage;
  const promptTokens = scripted ? scripted.prompt_tokens : estimatePromptTokens(context.body);
  const completion = scripted ? scripted.completion_tokens : completionTokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completion,
    total_tokens: promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function completeChat(context: RequestContext): unknown {
  const scenario = context.scenario;
  const profile = flavourProfile(scenario.flavour);
  const tokens = answerTokens(scenario);
  const toolCalls = (scenario.toolCalls ?? []).map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: tokens.length > 0 ? tokens.join('') : null,
    refusal: null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(scenario.reasoning !== undefined && profile.reasoningField !== undefined ? { [profile.reasoningField]: scenario.reasoning } : {}),
  };
  return {
    id: profile.id(context.serial),
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    ...(profile.systemFingerprint === undefined ? {} : { system_fingerprint: profile.systemFingerprint }),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(scenario) }],
    ...(scenario.usage === false ? {} : { usage: usageOf(context, countCompletionTokens(scenario)) }),
  };
}
