import { constants as http2Constants } from 'node:http2';
import { type SluiceError } from '@sluice/protocol';
import { discardRequestBody, hasUnreadBody } from './discard-request-body.ts';
import { isHttp2Response, type HttpResponse } from './http-types.ts';

/**
 * Sends a JSON answer. One sent before the request's body was read (a 413, a 415, a 405 on an upload)
 * goes out whole at once, so that a client that reads while it sends (curl, `node:http`) has it at
 * once; then, on HTTP/1.1, the rest of the body is read and dropped, within bounds, and the connection
 * closed, so that a client that reads only once it sent everything (`fetch`) is not reset before it
 * could. h2 has a way to say it (RFC 9113 §8.1): the stream is reset with `NO_ERROR` after the answer,
 * which stops the upload and leaves the connection's other streams alone; and no `connection` header
 * (§8.2.2), which Node would drop with a warning.
 */
export function sendJson(response: HttpResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const bodyUnread = hasUnreadBody(response.req);
  if (isHttp2Response(response)) {
    const { connection: _connection, ...http2Headers } = headers;
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...http2Headers });
    response.end(text);
    if (bodyUnread) response.stream.close(http2Constants.NGHTTP2_NO_ERROR);
    return;
  }
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
export function sendJsonError(response: HttpResponse, error: SluiceError, headers: Record<string, string> = {}, body: unknown = error.toResponseBody()): void {
  if (error.retryAfterSeconds !== undefined) headers = { ...headers, 'retry-after': String(error.retryAfterSeconds) };
  sendJson(response, error.status, body, headers);
}
