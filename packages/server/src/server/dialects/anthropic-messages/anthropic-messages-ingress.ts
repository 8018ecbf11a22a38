import { z } from 'zod';
import { type ChatMessage, type ChatRequest, SluiceError } from '@sluice/protocol';
import { parseRequest } from '../request-validation.ts';

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal('url'), url: z.string() }),
  ]),
});
const toolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })).describe('an array of content blocks')]).optional(),
  is_error: z.boolean().optional(),
});
const thinkingBlock = z.looseObject({ type: z.enum(['thinking', 'redacted_thinking']) });
const blockSchemas = { text: textBlock, image: imageBlock, tool_use: toolUseBlock, tool_result: toolResultBlock, thinking: thinkingBlock, redacted_thinking: thinkingBlock };

const messagesBodySchema = z.looseObject({
  model: z.string().min(1, 'must be a non-empty model name'),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })).describe('an array of content blocks')]),
      }),
    )
    .min(1, 'must hold at least one message'),
  system: z.union([z.string(), z.array(textBlock).describe('an array of text blocks')]).optional(),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().positive().optional(),
  tools: z.array(z.looseObject({ name: z.string(), description: z.string().optional(), input_schema: z.unknown() })).optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional(), disable_parallel_tool_use: z.boolean().optional() })
    .optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
  output_config: z.looseObject({ format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullable().optional() }).optional(),
});

type MessagesBody = z.infer<typeof messagesBodySchema>;
type Block = z.infer<(typeof blockSchemas)[keyof typeof blockSchemas]>;

export interface AnthropicMessagesRequest {
  chatRequest: ChatRequest;
  stream: boolean;
}

/**
 * `POST /v1/messages` (https://docs.anthropic.com/en/api/messages) as a normalized request: `system`
 * becomes a system message, `tool_result` blocks become tool messages (before the rest of their user
 * turn, as the OpenAI shape orders them), `tool_use` blocks an assistant's `tool_calls`, image blocks
 * image URLs. Thinking blocks sent back are dropped: only Anthropic could read their signatures, and it
 * does not need them outside a tool loop. `thinking` and `top_k` travel as Anthropic-only options.
 */
export function decodeAnthropicMessagesRequest(body: unknown): AnthropicMessagesRequest {
  const request = parseRequest(messagesBodySchema, body);
  const messages: ChatMessage[] = [];
  if (request.system !== undefined) {
    messages.push({ role: 'system', content: typeof request.system === 'string' ? request.system : request.system.map((item) => item.text).join('\n\n') });
  }
  for (const [index, message] of request.messages.entries()) {
    const blocks: Block[] =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content.map((item, blockIndex) => parseBlock(item, `messages[${index}].content[${blockIndex}]`));
    messages.push(...(message.role === 'user' ? userMessages(blocks, index) : [assistantMessage(blocks)]));
  }
  const providerOptions: Record<string, unknown> = {};
  if (request.thinking !== undefined) providerOptions.thinking = request.thinking;
  if (request.top_k !== undefined) providerOptions.top_k = request.top_k;
  return {
    chatRequest: {
      model: request.model,
      messages,
      parameters: parametersOf(request),
      ...(Object.keys(providerOptions).length > 0 ? { providerOptions: { anthropic: providerOptions } } : {}),
    },
    stream: request.stream === true,
  };
}

/** Checks a content block against the schema of its type, naming the field at fault. */
function parseBlock(item: { type: string }, where: string): Block {
  const schema = Object.hasOwn(blockSchemas, item.type) ? blockSchemas[item.type as keyof typeof blockSchemas] : undefined;
  if (!schema) throw new SluiceError('bad_request', `Invalid field "${where}": a ${JSON.stringify(item.type)} block cannot be relayed`, { param: where });
  return parseRequest<Block>(schema, item, { at: where });
}

function userMessages(blocks: Block[], messageIndex: number): ChatMessage[] {
  const toolResults: ChatMessage[] = [];
  const parts: unknown[] = [];
  for (const [blockIndex, item] of blocks.entries()) {
    const where = `messages[${messageIndex}].content[${blockIndex}]`;
    switch (item.type) {
      case 'text':
        parts.push({ type: 'text', text: item.text });
        break;
      case 'image':
        parts.push({ type: 'image_url', image_url: { url: item.source.type === 'base64' ? `data:${item.source.media_type};base64,${item.source.data}` : item.source.url } });
        break;
      case 'tool_result':
        toolResults.push({ role: 'tool', tool_call_id: item.tool_use_id, content: toolResultText(item.content, `${where}.content`) });
        break;
      default:
        throw new SluiceError('bad_request', `Invalid field "${where}": a user turn cannot hold a ${item.type} block`, { param: where });
    }
  }
  if (parts.length === 0) return toolResults;
  const onlyText = parts.length === 1 && (parts[0] as { type: string }).type === 'text';
  return [...toolResults, { role: 'user', content: onlyText ? (parts[0] as { text: string }).text : parts }];
}

function assistantMessage(blocks: Block[]): ChatMessage {
  let text = '';
  const toolCalls: unknown[] = [];
  for (const item of blocks) {
    if (item.type === 'text') text += item.text;
    else if (item.type === 'tool_use') toolCalls.push({ id: item.id, type: 'function', function: { name: item.name, arguments: JSON.stringify(item.input ?? {}) } });
  }
  const message: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/** A tool result's content as text: OpenAI-shaped tool messages carry text only. */
function toolResultText(content: string | { type: string }[] | undefined, where: string): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((item, index) => {
      const text: unknown = (item as { text?: unknown }).text;
      if (item.type === 'text' && typeof text === 'string') return text;
      throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": only text can be relayed in a tool result`, { param: `${where}[${index}]` });
    })
    .join('');
}

function parametersOf(request: MessagesBody): Record<string, unknown> {
  const parameters: Record<string, unknown> = { max_tokens: request.max_tokens };
  if (request.temperature !== undefined) parameters.temperature = request.temperature;
  if (request.top_p !== undefined) parameters.top_p = request.top_p;
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0) parameters.stop = request.stop_sequences;
  if (typeof request.metadata?.user_id === 'string') parameters.user = request.metadata.user_id;
  if (request.tools !== undefined && request.tools.length > 0) {
    parameters.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.input_schema ?? { type: 'object' } },
    }));
  }
  const choice = request.tool_choice;
  if (choice !== undefined) {
    if (choice.type === 'tool' && choice.name === undefined) {
      throw new SluiceError('bad_request', 'Invalid field "tool_choice.name": required when tool_choice.type is "tool"', { param: 'tool_choice.name' });
    }
    parameters.tool_choice = choice.type === 'any' ? 'required' : choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
    if (choice.disable_parallel_tool_use === true) parameters.parallel_tool_calls = false;
  }
  const format = request.output_config?.format;
  if (format) parameters.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  return parameters;
}
