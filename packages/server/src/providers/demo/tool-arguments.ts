import { createValueFromSchema, placeholderString } from './json-from-schema.ts';
import { shortenLine } from './shorten-line.ts';

/**
 * Arguments for a call of a tool whose parameters `parametersSchema` describes, that fit it (see
 * `createValueFromSchema` for the keywords read). The first free-form string is what the prompt is
 * about, so "What is the weather in Oslo?" calls the tool with "Oslo"; other strings name their field.
 */
export function createToolArguments(parametersSchema: unknown, prompt: string): Record<string, unknown> {
  let subject: string | undefined = findSubject(prompt) || undefined;
  const value = createValueFromSchema(parametersSchema, (name, position) => {
    const text = subject ?? placeholderString(name, position);
    subject = undefined;
    return text;
  });
  // Tool arguments are an object whatever the schema claims (OpenAI and Anthropic require object schemas).
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The names in a prompt (runs of capitalised words of two letters or more that do not start a sentence:
 * "Oslo", "New York"), or, when it has none, the prompt itself, shortened.
 */
export function findSubject(prompt: string): string {
  const text = prompt.replace(/\s+/g, ' ').trim();
  const names = [...text.matchAll(/(?<![.!?]\s|^|[\p{L}\p{N}])\p{Lu}[\p{L}\p{M}'’-]+(?: \p{Lu}[\p{L}\p{M}'’-]+)*/gu)].map(([name]) => name);
  if (names.length > 0) return names.join(', ');
  return shortenLine(text.replace(/[\s.!?]+$/u, ''), 60);
}
