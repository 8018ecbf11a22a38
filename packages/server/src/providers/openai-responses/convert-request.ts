import { type ChatMessage, type ChatRequest, SluiceError } from '@sluice/protocol';
import { textOfContent } from '../content-text.ts';

type Item = Record<string, unknown>;

/** Chat Completions parameters that mean the same in the Responses API under the same name. */
const sameNameParameters = ['temperature', 'top_p', 'user', 'parallel_tool_calls', 'store', 'metadata', 'service_tier', 'top_logprobs', 'prompt_cache_key', 'safety_identifier'];

/**
 * The Responses body (https://platform.openai.com/docs/api-reference/responses/create) for a normalized
 * request: messages become input items (tool calls `function_call`, tool results `function_call_output`,
 * content parts their `input_*` forms), `max_tokens` becomes `max_output_tokens`, `response_format`
 * becomes `text.format`, function tools lose their `function` wrapper. Parameters the Responses API does
 * not have (stop, seed, n, penalties) are not sent.
 */
export function toResponsesBody(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  const parameters = request.parameters;
  const body: Record<string, unknown> = { model: upstreamModel, input: request.messages.flatMap(convertMessage), stream: true };
  for (const key of sameNameParameters) if (parameters[key] !== undefined) body[key] = parameters[key];
  const maxTokens = parameters.max_completion_tokens ?? parameters.max_tokens;
  if (maxTokens !== undefined) body.max_output_tokens = maxTokens;
  if (typeof parameters.reasoning_effort === 'string') body.reasoning = { effort: parameters.reasoning_effort };
  if (Array.isArray(parameters.tools) && parameters.tools.length > 0) body.tools = parameters.tools.map(convertTool);
  if (parameters.tool_choice !== undefined) body.tool_choice = convertToolChoice(parameters.tool_choice);
  const format = textFormat(parameters.response_format);
  if (format) body.text = { format };
  return body;
}

function convertMessage(message: ChatMessage, index: number): Item[] {
  const where = `messages[${index}]`;
  switch (message.role) {
    case 'tool':
      return [{ type: 'function_call_output', call_id: message.tool_call_id, output: textOfContent(message.content, `${where}.content`) }];
    case 'assistant': {
      const items: Item[] = [];
      const text = message.content === null || message.content === undefined ? '' : textOfContent(message.content, `${where}.content`);
      if (text !== '') items.push({ role: 'assistant', content: text });
      const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
      for (const [callIndex, call] of toolCalls.entries()) {
        const { id, function: fn } = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
        if (typeof id !== 'string' || typeof fn?.name !== 'string') {
          throw new SluiceError('bad_request', `Invalid field "${where}.tool_calls[${callIndex}]": a tool call needs an id and a function name`, {
            param: `${where}.tool_calls[${callIndex}]`,
          });
        }
        items.push({ type: 'function_call', call_id: id, name: fn.name, arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}' });
      }
      return items;
    }
    default:
      return [{ role: message.role, content: inputContent(message.content, `${where}.content`) }];
  }
}

function inputContent(content: unknown, where: string): unknown {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new SluiceError('bad_request', `Invalid field "${where}": expected a string or an array of content parts`, { param: where });
  return content.map((part, index) => {
    const item = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown; detail?: unknown }; file?: Record<string, unknown> };
    if (item.type === 'text' && typeof item.text === 'string') return { type: 'input_text', text: item.text };
    if (item.type === 'image_url' && typeof item.image_url?.url === 'string') {
      return { type: 'input_image', image_url: item.image_url.url, detail: item.image_url.detail ?? 'auto' };
    }
    if (item.type === 'file' && item.file) return { type: 'input_file', ...item.file };
    throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": content part type ${JSON.stringify(item.type)} cannot be sent to the Responses API`, {
      param: `${where}[${index}]`,
    });
  });
}

function convertTool(tool: unknown, index: number): Item {
  const { type, function: fn } = tool as { type?: unknown; function?: Record<string, unknown> };
  if (type !== 'function' || typeof fn?.name !== 'string') {
    throw new SluiceError('bad_request', `Invalid field "tools[${index}]": expected a function tool`, { param: `tools[${index}]` });
  }
  return { type: 'function', ...fn };
}

function convertToolChoice(choice: unknown): unknown {
  if (typeof choice === 'string') return choice;
  const name = (choice as { function?: { name?: unknown } } | null)?.function?.name;
  if (typeof name !== 'string') throw new SluiceError('bad_request', 'Invalid field "tool_choice": expected a function name', { param: 'tool_choice' });
  return { type: 'function', name };
}

function textFormat(responseFormat: unknown): Item | undefined {
  const format = responseFormat as { type?: unknown; json_schema?: Record<string, unknown> } | undefined;
  if (format?.type === 'json_schema') return { type: 'json_schema', ...format.json_schema };
  if (format?.type === 'json_object' || format?.type === 'text') return { type: format.type };
  return undefined;
}

