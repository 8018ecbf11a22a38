import type { ServerResponse } from 'node:http';
import { type SluiceError } from '@sluice/protocol';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

/**
 * Sends an error with its HTTP status (and `retry-after` when known), as an OpenAI-style JSON body unless
 * the client's dialect has its own error shape.
 */
export function sendJsonError(response: ServerResponse, error: SluiceError, headers: Record<string, string> = {}, body: unknown = error.toResponseBody()): void {
  if (error.retryAfterSeconds !== undefined) headers = { ...headers, 'retry-after': String(error.retryAfterSeconds) };
  sendJson(response, error.status, body, headers);
}
