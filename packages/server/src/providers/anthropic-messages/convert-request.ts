import { type ChatMessage, type ChatRequest, SluiceError } from '@sluice/protocol';
import { textOfContent } from '../content-text.ts';

type Block = Record<string, unknown>;

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/**
 * The Anthropic Messages body (https://docs.anthropic.com/en/api/messages) for a normalized request:
 * system and developer messages become `system`, tool calls `tool_use` blocks, tool messages
 * `tool_result` blocks in a user turn, image URLs image blocks; consecutive turns of one role are merged,
 * as Anthropic requires alternation. `max_tokens` is required by Anthropic, so `defaultMaxTokens` fills
 * it when the client gave none. Parameters with no Anthropic counterpart (seed, penalties, logprobs, n)
 * are not sent; Anthropic-only fields come from `providerOptions.anthropic`.
 */
export function toAnthropicMessagesBody(request: ChatRequest, upstreamModel: string, defaultMaxTokens: number): Record<string, unknown> {
  const parameters = request.parameters;
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  for (const [index, message] of request.messages.entries()) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push(textOfContent(message.content, `messages[${index}].content`));
      continue;
    }
    const converted = convertMessage(message, index);
    if (converted.content.length === 0) continue;
    const previous = messages[messages.length - 1];
    if (previous?.role === converted.role) previous.content.push(...converted.content);
    else messages.push(converted);
  }
  const body: Record<string, unknown> = {
    model: upstreamModel,
    messages,
    max_tokens: numberParameter(parameters, 'max_completion_tokens') ?? numberParameter(parameters, 'max_tokens') ?? defaultMaxTokens,
    stream: true,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  for (const key of ['temperature', 'top_p'] as const) {
    if (parameters[key] !== undefined) body[key] = parameters[key];
  }
  const stop = parameters.stop;
  if (typeof stop === 'string') body.stop_sequences = [stop];
  else if (Array.isArray(stop) && stop.length > 0) body.stop_sequences = stop;
  if (typeof parameters.user === 'string') body.metadata = { user_id: parameters.user };
  if (Array.isArray(parameters.tools) && parameters.tools.length > 0) body.tools = parameters.tools.map(convertTool);
  const toolChoice = convertToolChoice(parameters.tool_choice, parameters.parallel_tool_calls);
  if (toolChoice) body.tool_choice = toolChoice;
  const format = outputFormat(parameters.response_format);
  if (format) body.output_config = { format };
  return { ...body, ...request.providerOptions?.anthropic };
}

function convertMessage(message: ChatMessage, index: number): AnthropicMessage {
  const where = `messages[${index}]`;
  if (message.role === 'tool') {
    const toolUseId = message.tool_call_id;
    if (typeof toolUseId !== 'string') throw new SluiceError('bad_request', `Invalid field "${where}.tool_call_id": required for a tool message`, { param: `${where}.tool_call_id` });
    return { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: textOfContent(message.content, `${where}.content`) }] };
  }
  if (message.role === 'assistant') {
    const content: Block[] = [];
    const text = message.content === null || message.content === undefined ? '' : textOfContent(message.content, `${where}.content`);
    if (text !== '') content.push({ type: 'text', text });
    const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
    for (const [callIndex, call] of toolCalls.entries()) content.push(toolUseBlock(call, `${where}.tool_calls[${callIndex}]`));
    return { role: 'assistant', content };
  }
  return { role: 'user', content: userBlocks(message.content, `${where}.content`) };
}

function userBlocks(content: unknown, where: string): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw new SluiceError('bad_request', `Invalid field "${where}": expected a string or an array of content parts`, { param: where });
  return content.map((part, index) => {
    const item = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
    if (item.type === 'text' && typeof item.text === 'string') return { type: 'text', text: item.text };
    if (item.type === 'image_url' && typeof item.image_url?.url === 'string') return imageBlock(item.image_url.url);
    throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": content part type ${JSON.stringify(item.type)} cannot be sent to an Anthropic model`, {
      param: `${where}[${index}]`,
    });
  });
}

function imageBlock(url: string): Block {
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (dataUrl) return { type: 'image', source: { type: 'base64', media_type: dataUrl[1], data: dataUrl[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function toolUseBlock(call: unknown, where: string): Block {
  const { id, function: fn } = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
  if (typeof id !== 'string' || typeof fn?.name !== 'string') {
    throw new SluiceError('bad_request', `Invalid field "${where}": a tool call needs an id and a function name`, { param: where });
  }
  let input: unknown = {};
  if (typeof fn.arguments === 'string' && fn.arguments.trim() !== '') {
    try {
      input = JSON.parse(fn.arguments);
    } catch {
      throw new SluiceError('bad_request', `Invalid field "${where}.function.arguments": not valid JSON`, { param: `${where}.function.arguments` });
    }
  }
  return { type: 'tool_use', id, name: fn.name, input };
}

function convertTool(tool: unknown, index: number): Block {
  const { type, function: fn } = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
  if (type !== 'function' || typeof fn?.name !== 'string') {
    throw new SluiceError('bad_request', `Invalid field "tools[${index}]": only function tools can be sent to an Anthropic model`, { param: `tools[${index}]` });
  }
  const converted: Block = { name: fn.name, input_schema: fn.parameters ?? { type: 'object', properties: {} } };
  if (typeof fn.description === 'string') converted.description = fn.description;
  return converted;
}

function convertToolChoice(choice: unknown, parallelToolCalls: unknown): Block | undefined {
  let converted: Block | undefined;
  if (choice === 'auto') converted = { type: 'auto' };
  else if (choice === 'none') converted = { type: 'none' };
  else if (choice === 'required') converted = { type: 'any' };
  else if (typeof choice === 'object' && choice !== null) {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name !== 'string') throw new SluiceError('bad_request', 'Invalid field "tool_choice": expected a function name', { param: 'tool_choice' });
    converted = { type: 'tool', name };
  }
  if (parallelToolCalls === false && converted?.type !== 'none') converted = { ...(converted ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return converted;
}

/** `response_format: {type: "json_schema"}` as Anthropic's `output_config.format`; plain JSON mode has no counterpart. */
function outputFormat(responseFormat: unknown): Block | undefined {
  const format = responseFormat as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  if (format?.type !== 'json_schema') return undefined;
  if (typeof format.json_schema?.schema !== 'object' || format.json_schema.schema === null) {
    throw new SluiceError('bad_request', 'Invalid field "response_format.json_schema.schema": expected a JSON schema object', { param: 'response_format.json_schema.schema' });
  }
  return { type: 'json_schema', schema: format.json_schema.schema };
}


function numberParameter(parameters: Record<string, unknown>, key: string): number | undefined {
  const value = parameters[key];
  return typeof value === 'number' ? value : undefined;
}
