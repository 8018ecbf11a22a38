import { SluiceError } from '@sluice/protocol';

/** A function tool the demo model may call. */
export interface DemoTool {
  name: string;
  description: string;
  /** Its JSON Schema for the arguments; `{}` when the tool gave none. */
  parameters: unknown;
}

export type DemoToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type DemoResponseFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: unknown };

/** The parameters the demo model honours, checked the way an upstream would check them. */
export interface DemoParameters {
  /** The most tokens to write, counted as the demo's usage counts them. */
  maxTokens: number | undefined;
  responseFormat: DemoResponseFormat;
  /** The function tools; tools of other types (OpenAI's built-in ones) are left out. */
  tools: DemoTool[];
  toolChoice: DemoToolChoice;
}

/**
 * Reads the demo's parameters from a request's OpenAI-shaped `parameters` (every dialect decodes into
 * that shape). The OpenAI Chat Completions dialect passes its fields through unchecked, so this is the
 * check a real upstream would make: a malformed field is a 400 naming it, before anything streams.
 */
export function readDemoParameters(parameters: Record<string, unknown>): DemoParameters {
  const tools = readTools(parameters.tools);
  return {
    maxTokens: readMaxTokens(parameters),
    responseFormat: readResponseFormat(parameters.response_format),
    tools,
    toolChoice: readToolChoice(parameters.tool_choice, tools),
  };
}

/** `max_completion_tokens` (OpenAI's newer name) and `max_tokens`; the lower one when both are set. */
function readMaxTokens(parameters: Record<string, unknown>): number | undefined {
  const limits: number[] = [];
  for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
    const value = parameters[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid(field, 'a positive integer', value);
    limits.push(value);
  }
  return limits.length === 0 ? undefined : Math.min(...limits);
}

function readResponseFormat(value: unknown): DemoResponseFormat {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isObject(value)) throw invalid('response_format', 'an object with a "type"', value);
  switch (value.type) {
    case 'text':
    case 'json_object':
      return { type: value.type };
    case 'json_schema': {
      const jsonSchema = value.json_schema;
      if (!isObject(jsonSchema)) throw invalid('response_format.json_schema', 'an object with a "schema"', jsonSchema);
      const schema = jsonSchema.schema ?? {};
      if (!isObject(schema) && typeof schema !== 'boolean') throw invalid('response_format.json_schema.schema', 'a JSON Schema object', schema);
      return { type: 'json_schema', schema };
    }
    default:
      throw invalid('response_format.type', '"text", "json_object" or "json_schema"', value.type);
  }
}

function readTools(value: unknown): DemoTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('tools', 'an array of tools', value);
  const tools: DemoTool[] = [];
  for (const [index, tool] of value.entries()) {
    if (!isObject(tool)) throw invalid(`tools[${index}]`, 'an object', tool);
    if (tool.type !== 'function') continue;
    const fn = tool.function;
    if (!isObject(fn)) throw invalid(`tools[${index}].function`, 'an object with a "name"', fn);
    if (typeof fn.name !== 'string' || fn.name === '') throw invalid(`tools[${index}].function.name`, 'a non-empty string', fn.name);
    tools.push({ name: fn.name, description: typeof fn.description === 'string' ? fn.description : '', parameters: fn.parameters ?? {} });
  }
  return tools;
}

function readToolChoice(value: unknown, tools: readonly DemoTool[]): DemoToolChoice {
  if (value === undefined || value === null || value === 'auto' || value === 'none') return value ?? 'auto';
  if (value === 'required') {
    if (tools.length === 0) throw new SluiceError('bad_request', 'Invalid field "tool_choice": "required" needs at least one function tool in "tools"', { param: 'tool_choice' });
    return value;
  }
  const name = isObject(value) && value.type === 'function' && isObject(value.function) ? value.function.name : undefined;
  if (typeof name !== 'string') throw invalid('tool_choice', '"auto", "none", "required" or {"type":"function","function":{"name"}}', value);
  if (!tools.some((tool) => tool.name === name)) {
    throw new SluiceError('bad_request', `Invalid field "tool_choice.function.name": no function tool named ${JSON.stringify(name)} in "tools"`, {
      param: 'tool_choice.function.name',
    });
  }
  return { name };
}

function invalid(field: string, expected: string, got: unknown): SluiceError {
  return new SluiceError('bad_request', `Invalid field "${field}": expected ${expected}, got ${describe(got)}`, { param: field });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
