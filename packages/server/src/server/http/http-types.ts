import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Http2ServerResponse } from 'node:http2';

/**
 * A request as a route sees it: what node:http's `IncomingMessage` (HTTP/1.1) and node:http2's
 * compatibility `Http2ServerRequest` (h2, cleartext or over TLS) have in common, and all routes use.
 */
export interface HttpRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** True once the whole body arrived. */
  readonly complete: boolean;
  readonly destroyed: boolean;
  /** The connection's socket (on h2 a stand-in for the session's, with `encrypted` over TLS). */
  readonly socket: object | null;
  on(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  pause(): this;
  resume(): this;
}

/**
 * The response of an `HttpRequest`: what node:http's `ServerResponse` and node:http2's
 * `Http2ServerResponse` have in common. What only one of them can do (ending the connection, resetting
 * the stream) is the writer's business (`writer/client-connection.ts`).
 */
export interface HttpResponse {
  /** The request this responds to. */
  readonly req: HttpRequest;
  readonly headersSent: boolean;
  readonly writableNeedDrain: boolean;
  readonly writableFinished: boolean;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  setHeader(name: string, value: number | string | readonly string[]): void;
  /** Trailers sent after the body (h2 sends them as a last HEADERS frame). */
  addTrailers(headers: OutgoingHttpHeaders): void;
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: string | Uint8Array, callback?: () => void): this;
  destroy(error?: Error): void;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
}

/**
 * The host and port the request is for: h2's `:authority` pseudo-header (RFC 9113 §8.3.1; Node's
 * compatibility API keeps it apart from `host`, which h2 clients need not send), else HTTP/1.1's `Host`.
 */
export function authorityOf(request: Pick<HttpRequest, 'headers'>): string | undefined {
  const authority = request.headers[':authority'];
  return typeof authority === 'string' ? authority : request.headers.host;
}

/** True for a response carried by one h2 stream (among others on its connection), not by a connection of its own. */
export function isHttp2Response(response: HttpResponse): response is HttpResponse & Http2ServerResponse {
  return response instanceof Http2ServerResponse;
}

/**
 * Whether a response that just closed had been ended by Sluice, rather than left by its client: on
 * HTTP/1.1 its last byte was handed to the socket (`writableFinished`); on h2 `end()` was called, since
 * Node finishes the writable side of a stream its client reset before it emits `close`.
 */
export function wasEnded(response: HttpResponse): boolean {
  return isHttp2Response(response) ? response.writableEnded : response.writableFinished;
}
