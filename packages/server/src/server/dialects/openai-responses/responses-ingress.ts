import { z } from 'zod';
import { type ChatMessage, type ChatRequest, SluiceError } from '@sluice/protocol';
import { parseRequest } from '../request-validation.ts';

const contentParts = z.array(z.looseObject({ type: z.string() })).describe('an array of content parts');
const messageItem = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), contentParts]),
});
const functionCallItem = z.looseObject({ type: z.literal('function_call'), call_id: z.string(), name: z.string(), arguments: z.string() });
const functionCallOutputItem = z.looseObject({ type: z.literal('function_call_output'), call_id: z.string(), output: z.union([z.string(), contentParts]) });
const reasoningItem = z.looseObject({ type: z.literal('reasoning') });
const itemSchemas = { message: messageItem, function_call: functionCallItem, function_call_output: functionCallOutputItem, reasoning: reasoningItem };

const responsesBodySchema = z.looseObject({
  model: z.string().min(1, 'must be a non-empty model name'),
  input: z.union([z.string(), z.array(z.looseObject({ type: z.string().optional() })).min(1, 'must hold at least one item').describe('a non-empty array of input items')]),
  instructions: z.string().nullable().optional(),
  stream: z.boolean().optional(),
  background: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string(), name: z.string().optional() })]).optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).optional() }).optional(),
  reasoning: z.looseObject({ effort: z.string().nullable().optional() }).nullable().optional(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  store: z.boolean().nullable().optional(),
});

/** Fields that need state Sluice does not keep (stored responses, conversations) or work it does not do. */
const unsupportedFields = ['previous_response_id', 'conversation', 'prompt'];

type ResponsesBody = z.infer<typeof responsesBodySchema>;
type InputItem = z.infer<(typeof itemSchemas)[keyof typeof itemSchemas]>;

export interface ResponsesRequest {
  chatRequest: ChatRequest;
  stream: boolean;
  /** Generate without a reader: the response is retrieved, streamed from any point, or cancelled by its id. */
  background: boolean;
}

/**
 * `POST /v1/responses` (https://platform.openai.com/docs/api-reference/responses/create) as a normalized
 * request: `instructions` becomes a system message, input items messages, `function_call` items an
 * assistant's `tool_calls`, `function_call_output` items tool messages, function tools and `text.format`
 * their Chat Completions forms. Sluice stores nothing, so `previous_response_id` and friends are refused
 * rather than ignored, as are built-in tools it cannot run.
 */
export function decodeResponsesRequest(body: unknown): ResponsesRequest {
  for (const field of unsupportedFields) {
    const value = (body as Record<string, unknown> | null)?.[field];
    if (value !== undefined && value !== null && value !== false) {
      throw new SluiceError('bad_request', `Invalid field "${field}": Sluice keeps no stored responses; send the whole conversation in "input"`, { param: field });
    }
  }
  const request = parseRequest(responsesBodySchema, body);
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  const items: InputItem[] =
    typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : request.input.map((item, index) => parseItem(item, `input[${index}]`));
  for (const [index, item] of items.entries()) appendItem(messages, item, `input[${index}]`);
  return { chatRequest: { model: request.model, messages, parameters: parametersOf(request) }, stream: request.stream === true, background: request.background === true };
}

/** Checks an input item against the schema of its type (a message when it has none), naming the field at fault. */
function parseItem(item: { type?: string }, where: string): InputItem {
  const type = item.type ?? 'message';
  const schema = Object.hasOwn(itemSchemas, type) ? itemSchemas[type as keyof typeof itemSchemas] : undefined;
  if (!schema) throw new SluiceError('bad_request', `Invalid field "${where}": an input item of type ${JSON.stringify(type)} cannot be relayed`, { param: where });
  return parseRequest<InputItem>(schema, item, { at: where });
}

function appendItem(messages: ChatMessage[], item: InputItem, where: string): void {
  switch (item.type) {
    case 'function_call': {
      const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
      // Calls made in one turn arrive as consecutive items; they belong to one assistant message.
      const previous = messages[messages.length - 1];
      if (previous?.role === 'assistant' && Array.isArray(previous.tool_calls)) previous.tool_calls.push(call);
      else if (previous?.role === 'assistant' && previous.tool_calls === undefined) previous.tool_calls = [call];
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    case 'function_call_output':
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: textOf(item.output, `${where}.output`) });
      return;
    case 'reasoning':
      // Reasoning items carry another model's encrypted state; a chat model has nothing to read in them.
      return;
    default:
      messages.push({ role: item.role, content: item.role === 'assistant' ? textOf(item.content, `${where}.content`) : contentOf(item.content, `${where}.content`) });
  }
}

function contentOf(content: string | { type: string }[], where: string): unknown {
  if (typeof content === 'string') return content;
  return content.map((part, index) => {
    const item = part as { type: string; text?: unknown; image_url?: unknown; detail?: unknown; file_data?: unknown; file_id?: unknown; filename?: unknown };
    if ((item.type === 'input_text' || item.type === 'output_text') && typeof item.text === 'string') return { type: 'text', text: item.text };
    if (item.type === 'input_image' && typeof item.image_url === 'string') {
      return { type: 'image_url', image_url: { url: item.image_url, ...(typeof item.detail === 'string' ? { detail: item.detail } : {}) } };
    }
    if (item.type === 'input_file' && (typeof item.file_data === 'string' || typeof item.file_id === 'string')) {
      const file: Record<string, unknown> = {};
      for (const key of ['file_data', 'file_id', 'filename'] as const) if (typeof item[key] === 'string') file[key] = item[key];
      return { type: 'file', file };
    }
    throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": content part type ${JSON.stringify(item.type)} cannot be relayed`, { param: `${where}[${index}]` });
  });
}

function textOf(content: string | { type: string }[], where: string): string {
  if (typeof content === 'string') return content;
  return content
    .map((part, index) => {
      const item = part as { type: string; text?: unknown; refusal?: unknown };
      if (typeof item.text === 'string' && (item.type === 'output_text' || item.type === 'input_text')) return item.text;
      if (item.type === 'refusal' && typeof item.refusal === 'string') return item.refusal;
      throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": only text can be relayed here`, { param: `${where}[${index}]` });
    })
    .join('');
}

function parametersOf(request: ResponsesBody): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  // max_tokens rather than max_completion_tokens: every OpenAI-compatible server knows it.
  if (request.max_output_tokens != null) parameters.max_tokens = request.max_output_tokens;
  for (const key of ['temperature', 'top_p', 'parallel_tool_calls', 'user', 'metadata', 'store'] as const) {
    if (request[key] != null) parameters[key] = request[key];
  }
  if (typeof request.reasoning?.effort === 'string') parameters.reasoning_effort = request.reasoning.effort;
  if (request.tools !== undefined && request.tools.length > 0) {
    parameters.tools = request.tools.map((tool, index) => {
      const { type, name, description, parameters: schema, strict } = tool as Record<string, unknown>;
      if (type !== 'function' || typeof name !== 'string') {
        throw new SluiceError('bad_request', `Invalid field "tools[${index}]": only function tools can be relayed (not ${JSON.stringify(type)})`, {
          param: `tools[${index}]`,
        });
      }
      const fn: Record<string, unknown> = { name, parameters: schema ?? { type: 'object', properties: {} } };
      if (typeof description === 'string') fn.description = description;
      if (typeof strict === 'boolean') fn.strict = strict;
      return { type: 'function', function: fn };
    });
  }
  const choice = request.tool_choice;
  if (typeof choice === 'string') parameters.tool_choice = choice;
  else if (choice?.type === 'function' && choice.name !== undefined) parameters.tool_choice = { type: 'function', function: { name: choice.name } };
  else if (choice !== undefined) throw new SluiceError('bad_request', 'Invalid field "tool_choice": expected auto, none, required or a function', { param: 'tool_choice' });
  const format = request.text?.format as { type: string; name?: unknown; schema?: unknown; strict?: unknown; description?: unknown } | undefined;
  if (format?.type === 'json_schema') {
    const jsonSchema: Record<string, unknown> = { name: typeof format.name === 'string' ? format.name : 'output', schema: format.schema };
    if (typeof format.strict === 'boolean') jsonSchema.strict = format.strict;
    if (typeof format.description === 'string') jsonSchema.description = format.description;
    parameters.response_format = { type: 'json_schema', json_schema: jsonSchema };
  } else if (format?.type === 'json_object') parameters.response_format = { type: 'json_object' };
  return parameters;
}
