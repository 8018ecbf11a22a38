import type { ChatMessage } from '@sluice/protocol';
import { textOfContent } from '../content-text.ts';
import { quoteQuestion, shortenLine } from './shorten-line.ts';

const maxResultLines = 12;
const maxValueChars = 200;

/** The tool messages that end a conversation, the results of the calls the last assistant turn made. */
export function trailingToolResults(messages: readonly ChatMessage[]): ChatMessage[] {
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start -= 1;
  return messages.slice(start);
}

/**
 * The demo model's answer once its tool calls were answered: it names each tool and repeats what it
 * returned (a JSON object as a list of its fields), for the question the user asked.
 */
export function composeToolResultAnswer(messages: readonly ChatMessage[], results: readonly ChatMessage[], question: string): string {
  const paragraphs = results.map((result) => {
    const index = messages.indexOf(result);
    const name = toolNameOf(messages, result.tool_call_id);
    return `${name === undefined ? 'A tool' : `\`${name}\``} returned:\n\n${describeResult(textOfContent(result.content, `messages[${index}].content`))}`;
  });
  return [
    `**sluice-demo** (the demo model) asked for ${results.length === 1 ? 'a tool' : `${results.length} tools`} to answer ${quoteQuestion(question)}.`,
    ...paragraphs,
    'A real model would answer from these results in its own words; the demo model repeats them.',
  ].join('\n\n');
}

/** The name of the call with `callId`, from the assistant turn that made it. */
function toolNameOf(messages: readonly ChatMessage[], callId: unknown): string | undefined {
  for (const message of messages) {
    if (message.role !== 'assistant' || !Array.isArray(message.tool_calls)) continue;
    const call = (message.tool_calls as { id?: unknown; function?: { name?: unknown } }[]).find((candidate) => candidate.id === callId);
    if (typeof call?.function?.name === 'string') return call.function.name;
  }
  return undefined;
}

/** A JSON object as a list of its fields, an array as a list of its items, anything else as a quote. */
function describeResult(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  const entries = Array.isArray(value)
    ? value.map((item) => ['', item] as const)
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : undefined;
  if (entries === undefined || entries.length === 0) return `> ${shortenLine(typeof value === 'string' ? value : text, maxValueChars * 2) || '(nothing)'}`;
  const lines = entries.slice(0, maxResultLines).map(([key, item]) => `- ${key === '' ? '' : `${key}: `}${shortenLine(typeof item === 'string' ? item : JSON.stringify(item), maxValueChars)}`);
  if (entries.length > maxResultLines) lines.push(`- … and ${entries.length - maxResultLines} more`);
  return lines.join('\n');
}
