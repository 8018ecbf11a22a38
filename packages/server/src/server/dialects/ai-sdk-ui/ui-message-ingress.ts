import { z } from 'zod';
import { type ChatMessage, type ChatRequest, SluiceError } from '@sluice/protocol';
import { parseRequest } from '../request-validation.ts';

const uiPart = z.looseObject({ type: z.string() });

// Loose: the AI SDK's transport adds `id`, `trigger` and `messageId`, and an app its own `body` fields.
const uiChatBodySchema = z.looseObject({
  messages: z
    .array(z.looseObject({ role: z.enum(['system', 'user', 'assistant']), parts: z.array(uiPart).describe('an array of message parts') }))
    .min(1, 'must hold at least one message')
    .describe('a non-empty array of UI messages'),
  model: z.string().min(1, 'must be a non-empty model name').optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  seed: z.number().int().optional(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
  tool_choice: z.unknown().optional(),
  response_format: z.looseObject({ type: z.string() }).optional(),
});

/** What a chat id may hold, so that it can name a stream (in a URL and a Redis key) as it is. */
const chatIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

const resumeFieldsSchema = z.looseObject({
  resumable: z.boolean().optional(),
  id: z.string().regex(chatIdPattern, 'must be 1 to 128 letters, digits, "_" or "-" (the chat id that resumes the stream)').optional(),
});

/**
 * Whether a `useChat` request asks for a resumable stream (`resumable: true` in the transport's `body`)
 * and the chat id (`id`, sent by the transport) that `GET {api}/{id}/stream` resumes it by.
 */
export function decodeUIResumeFields(body: unknown): { chatId: string } | undefined {
  const fields = parseRequest(resumeFieldsSchema, body);
  if (fields.resumable !== true) return undefined;
  if (fields.id === undefined) throw new SluiceError('bad_request', 'Invalid field "id": a resumable chat stream needs the chat id the client resumes it by', { param: 'id' });
  return { chatId: fields.id };
}

export function isChatId(value: string): boolean {
  return chatIdPattern.test(value);
}

const parameterFields = ['temperature', 'top_p', 'max_tokens', 'stop', 'seed', 'tools', 'tool_choice', 'response_format'] as const;

type UIPart = z.infer<typeof uiPart> & Record<string, unknown>;

/**
 * The request `useChat` sends (`DefaultChatTransport`: `{id, messages, trigger, messageId, ...body}`) as a
 * normalized request. UI messages hold parts: text and files become content parts; a tool part whose
 * output is known becomes an assistant `tool_calls` entry and a tool message, split into one assistant
 * turn per step (`step-start`); reasoning, sources and data parts are the UI's, not the model's, and
 * stay behind. `model` and sampling parameters may come in the body (the transport's `body` option).
 */
export function decodeUIMessageRequest(body: unknown, defaultModel: string): ChatRequest {
  const request = parseRequest(uiChatBodySchema, body);
  const messages: ChatMessage[] = [];
  for (const [index, message] of request.messages.entries()) {
    const parts = message.parts as UIPart[];
    const where = `messages[${index}].parts`;
    if (message.role === 'assistant') messages.push(...assistantMessages(parts));
    else messages.push({ role: message.role, content: message.role === 'system' ? textOf(parts) : userContent(parts, where) });
  }
  const parameters: Record<string, unknown> = {};
  for (const key of parameterFields) if (request[key] !== undefined) parameters[key] = request[key];
  return { model: request.model ?? defaultModel, messages, parameters };
}

function textOf(parts: UIPart[]): string {
  return parts.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

function userContent(parts: UIPart[], where: string): unknown {
  const content: unknown[] = [];
  for (const [index, part] of parts.entries()) {
    if (part.type === 'text' && typeof part.text === 'string') content.push({ type: 'text', text: part.text });
    else if (part.type === 'file' && typeof part.url === 'string' && typeof part.mediaType === 'string') {
      if (part.mediaType.startsWith('image/')) content.push({ type: 'image_url', image_url: { url: part.url } });
      else if (part.url.startsWith('data:')) content.push({ type: 'file', file: { file_data: part.url, ...(typeof part.filename === 'string' ? { filename: part.filename } : {}) } });
      else throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": a file that is not an image must be a data: URL`, { param: `${where}[${index}]` });
    }
  }
  const only = content[0] as { type: string; text?: string } | undefined;
  return content.length === 1 && only?.type === 'text' ? only.text : content;
}

/** One assistant turn per step, each followed by the results of the tools it called. */
function assistantMessages(parts: UIPart[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let text = '';
  let toolCalls: unknown[] = [];
  let toolResults: ChatMessage[] = [];
  const flush = (): void => {
    if (text === '' && toolCalls.length === 0) return;
    const message: ChatMessage = { role: 'assistant', content: text === '' ? null : text };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    messages.push(message, ...toolResults);
    text = '';
    toolCalls = [];
    toolResults = [];
  };
  for (const part of parts) {
    if (part.type === 'step-start') flush();
    else if (part.type === 'text' && typeof part.text === 'string') text += part.text;
    else if ((part.type.startsWith('tool-') || part.type === 'dynamic-tool') && typeof part.toolCallId === 'string') {
      // Only a call whose outcome is known can be sent back: a model must see every call answered.
      if (part.state !== 'output-available' && part.state !== 'output-error') continue;
      const name = part.type === 'dynamic-tool' ? String(part.toolName) : part.type.slice('tool-'.length);
      toolCalls.push({ id: part.toolCallId, type: 'function', function: { name, arguments: JSON.stringify(part.input ?? {}) } });
      const output = part.state === 'output-available' ? part.output : part.errorText;
      toolResults.push({ role: 'tool', tool_call_id: part.toolCallId, content: typeof output === 'string' ? output : JSON.stringify(output ?? null) });
    }
  }
  flush();
  return messages;
}
