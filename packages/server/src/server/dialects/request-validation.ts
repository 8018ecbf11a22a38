import { z } from 'zod';
import { SluiceError } from '@sluice/protocol';

/** An OpenAI-shaped chat message; content stays as the client sent it (string, parts or null). */
export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional(),
});

export const chatMessagesSchema = z.array(chatMessageSchema).min(1, 'must hold at least one message');

/** Parses with a schema, or throws a 400 naming the first field at fault and what is wrong with it. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new SluiceError('bad_request', 'Invalid request');
  const field = issue.path.length > 0 ? issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : String(key))).join('.').replace(/\.\[/g, '[') : '';
  const message = field ? `Invalid field "${field}": ${issue.message}` : `Invalid request: ${issue.message}`;
  throw new SluiceError('bad_request', message, { param: field || undefined });
}
