import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { constants as http2Constants, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { performance } from 'node:perf_hooks';

/** A request to the fake, over HTTP/1.1 or h2 (node:http2's compatibility API). */
export type FakeRequest = IncomingMessage | Http2ServerRequest;

/** What the fake writes with, the part of both protocols' responses it uses. */
export interface FakeResponse {
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: string | (() => void), callback?: () => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
}

/**
 * What carries one request: its own socket on HTTP/1.1, one stream of a shared connection on h2. A
 * cancel that reaches the upstream closes it, and a fault cuts it.
 */
export interface UpstreamTransport {
  /** performance.now() when the socket (HTTP/1.1) or the stream (h2) carrying the request closed; resolves then. */
  closed: Promise<number>;
  /** True once it is closed. */
  isClosed(): boolean;
  /** Ends it without ending the response, once what was written is sent: the socket's end, or the stream's reset (`INTERNAL_ERROR`). */
  cut(): Promise<void>;
}

/** The transport of a request; `socketClosed` is when each HTTP/1.1 socket closed, recorded as connections come. */
export function transportOf(request: FakeRequest, response: FakeResponse, socketClosed: (socket: object) => Promise<number> | undefined): UpstreamTransport {
  if (request instanceof Http2ServerRequest) {
    const { stream } = response as Http2ServerResponse;
    const closed = stream.closed || stream.destroyed ? Promise.resolve(performance.now()) : new Promise<number>((resolve) => stream.once('close', () => resolve(performance.now())));
    return {
      closed,
      isClosed: () => stream.closed || stream.destroyed,
      // From a write's callback: nghttp2 has sent what was written before, which a reset would drop.
      cut: () => new Promise((resolve) => stream.write('', () => stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR, () => resolve()))),
    };
  }
  const { socket } = request;
  return {
    closed: socketClosed(socket) ?? Promise.resolve(performance.now()),
    isClosed: () => socket.destroyed,
    // From a write's callback, not at once: the tokens written before may still be queued in the
    // socket, and would be lost.
    cut: () => new Promise((resolve) => {
      socket.write('', () => {
        socket.destroy();
        resolve();
      });
    }),
  };
}
