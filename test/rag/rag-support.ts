import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import type { SseMessage } from '../support/sse-client.ts';

export interface JsonAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The `error` object of an error body. */
  error: { message: string; code: string; param: string | null } | undefined;
}

/** One JSON request to Sluice; a string body is sent as it is (for malformed JSON). */
export async function requestJson(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const response = await request(`${baseUrl}${path}`, {
    method: method as 'GET',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  const parsed = text === '' ? undefined : (JSON.parse(text) as { error?: JsonAnswer['error'] });
  return { status: response.statusCode, headers: response.headers, body: parsed, error: parsed?.error };
}

/** The `data` of each SSE message, parsed, with its event name. */
export function parseEvents(messages: readonly SseMessage[]): { event: string | undefined; data: Record<string, any> }[] {
  return messages.map((message) => ({ event: message.event, data: JSON.parse(message.data) as Record<string, any> }));
}

/** Event names in order, consecutive `token` events counted once (how tokens are coalesced depends on timing). */
export function eventOrder(events: readonly { event: string | undefined }[]): (string | undefined)[] {
  return events.map((event) => event.event).filter((name, index, names) => name !== 'token' || names[index - 1] !== 'token');
}

/** The text of every `token` event, joined. */
export function answerText(events: readonly { event: string | undefined; data: Record<string, any> }[]): string {
  return events
    .filter((event) => event.event === 'token')
    .map((event) => event.data.delta as string)
    .join('');
}
