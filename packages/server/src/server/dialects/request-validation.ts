import { z } from 'zod';
import { SluiceError } from '@sluice/protocol';
import { describeIssue } from './describe-issue.ts';

/** An OpenAI-shaped chat message; content stays as the client sent it (string, parts or null). */
export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.unknown()).describe('an array of content parts'), z.null()]).optional(),
});

export const chatMessagesSchema = z.array(chatMessageSchema).min(1, 'must hold at least one message').describe('a non-empty array of messages');

/** Stands in for zod's own messages, so that a message a schema gave can be told from them. */
const zodMessage = '\u0000zod';
const parseContext = { error: () => zodMessage };

export interface ParseRequestOptions {
  /** Where the value sits in the request (`messages[2].content[0]`), for the field names. @default '' */
  at?: string;
  /** @default 'field' ('query parameter' for a URL's) */
  noun?: string;
}

/**
 * Parses with a schema, or throws a 400 naming the first field at fault, what it expected and what it
 * got (see `describeIssue`).
 */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, options: ParseRequestOptions = {}): T {
  const result = schema.safeParse(value, parseContext);
  if (result.success) return result.data;
  // A misspelt key explains the missing one beside it, so it is named first.
  const issue = result.error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? result.error.issues[0];
  if (!issue) throw new SluiceError('bad_request', 'Invalid request');
  const { message, param } = describeIssue(schema, value, issue, { at: options.at ?? '', noun: options.noun ?? 'field', customMessage: issue.message !== zodMessage });
  throw new SluiceError('bad_request', message, { param });
}
