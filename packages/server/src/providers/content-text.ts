import { SluiceError } from '@sluice/protocol';

/**
 * The text of a message's content for an upstream that wants plain text in that place (system prompts,
 * tool results, assistant turns): a string, or an array of `text`/`refusal` parts joined. Anything else
 * is a 400 naming the field (`where`).
 */
export function textOfContent(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, index) => {
        const item = part as { type?: unknown; text?: unknown; refusal?: unknown };
        if (item.type === 'text' && typeof item.text === 'string') return item.text;
        if (item.type === 'refusal' && typeof item.refusal === 'string') return item.refusal;
        throw new SluiceError('bad_request', `Invalid field "${where}[${index}]": only text parts are allowed here`, { param: `${where}[${index}]` });
      })
      .join('');
  }
  throw new SluiceError('bad_request', `Invalid field "${where}": expected a string or an array of text parts`, { param: where });
}
