import { z } from 'zod';
import { type ChatMessage, type ChatRequest, SluiceError } from '@sluice/protocol';
import { chatMessagesSchema, parseRequest } from '../request-validation.ts';
import { retrievalFieldSchema, topKQuerySchema, type RetrievalOptions } from '../retrieval-field.ts';

const prompt = z
  .string()
  .refine((text) => text.trim() !== '', 'must not be empty')
  .describe('a non-empty string');
const model = z.string().min(1, 'must be a non-empty model name');

/** Sampling parameters the Sluice dialect accepts and passes upstream as they are. */
const samplingFields = {
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  seed: z.number().int().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
  tool_choice: z.unknown().optional(),
  response_format: z.looseObject({ type: z.string() }).optional(),
  user: z.string().optional(),
};

// Strict: a misspelt field in Sluice's own dialect is an error, not something silently ignored.
const streamBodySchema = z.strictObject({
  prompt: prompt.optional(),
  messages: chatMessagesSchema.optional(),
  model: model.optional(),
  resumable: z.boolean().optional(),
  retrieval: retrievalFieldSchema.optional(),
  ...samplingFields,
});

const streamQuerySchema = z.strictObject({
  prompt,
  model: model.optional(),
  resumable: z.enum(['0', '1', 'false', 'true']).optional(),
  collection: z.string().min(1, 'must name a collection').optional(),
  top_k: topKQuerySchema.optional(),
});

/** What a Sluice stream request asks for: the chat, whether it may be resumed after a disconnect, and what grounds it. */
export interface SluiceStreamRequest {
  chatRequest: ChatRequest;
  resumable: boolean;
  retrieval: RetrievalOptions | undefined;
}

/**
 * `POST /v1/chat/stream`: `messages` or `prompt` (exactly one), optional `model` and sampling
 * parameters, `resumable` (default false: a fetch client that wants to resume says so, and then
 * stops the stream with `DELETE /v1/streams/{id}`), and `retrieval` (`{collection, top_k}`).
 */
export function decodeSluiceStreamBody(body: unknown, defaultModel: string): SluiceStreamRequest {
  const { prompt: promptText, messages, model: requestedModel, resumable, retrieval, ...parameters } = parseRequest(streamBodySchema, body);
  if ((promptText === undefined) === (messages === undefined)) {
    throw new SluiceError('bad_request', 'Send either "messages" or "prompt", not both and not neither', { param: 'messages' });
  }
  const chatMessages = messages ? (messages as ChatMessage[]) : [{ role: 'user' as const, content: promptText }];
  return {
    chatRequest: { model: requestedModel ?? defaultModel, messages: chatMessages, parameters: dropUndefined(parameters) },
    resumable: resumable ?? false,
    retrieval,
  };
}

/**
 * `GET /v1/chat/stream?prompt=...&model=...&resumable=0&collection=...&top_k=...`, for `EventSource`. Resumable unless
 * `resumable=0`: an EventSource reconnects by itself, with `Last-Event-ID`, after any drop, and only a
 * resumable stream can answer that reconnect with the rest of the answer.
 */
export function decodeSluiceStreamQuery(searchParams: URLSearchParams, defaultModel: string): SluiceStreamRequest {
  const query: Record<string, string> = {};
  for (const [key, value] of searchParams) {
    if (key in query) throw new SluiceError('bad_request', `Query parameter "${key}" is given more than once`, { param: key });
    query[key] = value;
  }
  const parsed = parseRequest(streamQuerySchema, query, { noun: 'query parameter' });
  if (parsed.top_k !== undefined && parsed.collection === undefined) {
    throw new SluiceError('bad_request', 'Query parameter "top_k" needs "collection"', { param: 'top_k' });
  }
  return {
    chatRequest: { model: parsed.model ?? defaultModel, messages: [{ role: 'user', content: parsed.prompt }], parameters: {} },
    resumable: parsed.resumable !== '0' && parsed.resumable !== 'false',
    retrieval: parsed.collection === undefined ? undefined : { collection: parsed.collection, topK: parsed.top_k },
  };
}

function dropUndefined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
