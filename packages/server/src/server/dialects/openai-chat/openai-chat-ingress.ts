import { z } from 'zod';
import type { ChatMessage, ChatRequest } from '@sluice/protocol';
import { chatMessagesSchema, parseRequest } from '../request-validation.ts';
import { retrievalFieldSchema, type RetrievalOptions } from '../retrieval-field.ts';

const chatCompletionsBodySchema = z.looseObject({
  model: z.string().min(1, 'must be a non-empty model name'),
  messages: chatMessagesSchema,
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  retrieval: retrievalFieldSchema.optional(),
});

export interface ChatCompletionsRequest {
  chatRequest: ChatRequest;
  stream: boolean;
  /** Sluice's extension: ground the answer in a collection (never sent upstream). */
  retrieval: RetrievalOptions | undefined;
}

/**
 * `POST /v1/chat/completions`: the fields Sluice needs are checked; every other field is passed to the
 * upstream as the client sent it, so new OpenAI parameters work without a Sluice release.
 */
export function decodeChatCompletionsRequest(body: unknown): ChatCompletionsRequest {
  const { model, messages, stream, retrieval, ...parameters } = parseRequest(chatCompletionsBodySchema, body);
  return { chatRequest: { model, messages: messages as ChatMessage[], parameters }, stream: stream === true, retrieval };
}
