import type { ServerResponse } from 'node:http';
import { type SluiceError } from '@sluice/protocol';
import { discardRequestBody, hasUnreadBody } from './discard-request-body.ts';

/**
 * Sends a JSON answer. One sent before the request's body was read (a 413, a 415, a 405 on an upload)
 * goes out whole at once, so that a client that reads while it sends (curl, `node:http`) has it at
 * once; then the rest of the body is read and dropped, within bounds, and the connection closed, so that a
 * client that reads only once it sent everything (`fetch`) is not reset before it could.
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const bodyUnread = hasUnreadBody(response.req);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(bodyUnread ? { connection: 'close' } : {}),
    ...headers,
  });
  if (!bodyUnread) {
    response.end(text);
    return;
  }
  response.write(text);
  void discardRequestBody(response.req).then(() => response.end());
}

/**
 * Sends an error with its HTTP status (and `retry-after` when known), as an OpenAI-style JSON body unless
 * the client's dialect has its own error shape.
 */
export function sendJsonError(response: ServerResponse, error: SluiceError, headers: Record<string, string> = {}, body: unknown = error.toResponseBody()): void {
  if (error.retryAfterSeconds !== undefined) headers = { ...headers, 'retry-after': String(error.retryAfterSeconds) };
  sendJson(response, error.status, body, headers);
}
