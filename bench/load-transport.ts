/**
 * How the load generator sends a request: HTTP/1.1 on a keep-alive agent (a connection per stream in
 * flight, as browsers' `EventSource` and most backends do), or as a stream of an h2 connection that
 * carries up to `streamsPerConnection` of them (a backend multiplexing its users' streams, or a
 * browser). Either way the caller gets the status and a Readable body, and can leave: HTTP/1.1 closes
 * the connection, h2 resets the stream (`CANCEL`).
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as connectHttp2, constants as http2Constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';

/** A target reached over h2: cleartext with prior knowledge for `http:` URLs, TLS for `https:`. */
export interface Http2Options {
  streamsPerConnection: number;
}

export interface SentRequest {
  /** Once the response head arrived: its status and its body. */
  onResponse(listener: (status: number, body: Readable) => void): void;
  onError(listener: (error: Error) => void): void;
  /** Gives up on the request: closes its connection (HTTP/1.1) or resets its stream (h2). */
  destroy(): void;
}

export interface LoadTransport {
  send(url: string, headers: Record<string, string>, body: string): SentRequest;
  close(): void;
}

export function createTransport(http2: Http2Options | undefined): LoadTransport {
  return http2 === undefined ? createHttp1Transport() : createHttp2Transport(http2);
}

function createHttp1Transport(): LoadTransport {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, keepAliveMsecs: 30_000 });
  return {
    send(url, headers, body) {
      const request = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      request.end(body);
      return {
        onResponse: (listener) => request.on('response', (response: IncomingMessage) => listener(response.statusCode ?? 0, response)),
        onError: (listener) => request.on('error', listener),
        destroy: () => request.destroy(),
      };
    },
    close: () => agent.destroy(),
  };
}

/**
 * Sessions are opened as needed and each given at most `streamsPerConnection` streams at a time, with
 * flow-control windows as a browser opens them (Chrome: 6 MB a stream, 15 MB a connection).
 */
function createHttp2Transport(options: Http2Options): LoadTransport {
  const sessions = new Map<ClientHttp2Session, number>();
  const sessionFor = (url: string): ClientHttp2Session => {
    for (const [session, streams] of sessions) {
      if (streams < options.streamsPerConnection && !session.closed && !session.destroyed) return session;
    }
    const session = connectHttp2(new URL(url).origin, { settings: { initialWindowSize: 6 * 2 ** 20 } });
    session.once('connect', () => session.setLocalWindowSize(15 * 2 ** 20));
    // A session's failure reaches each of its streams, which report it.
    session.on('error', () => {});
    session.once('close', () => sessions.delete(session));
    sessions.set(session, 0);
    return session;
  };
  return {
    send(url, headers, body) {
      const session = sessionFor(url);
      sessions.set(session, (sessions.get(session) ?? 0) + 1);
      const { pathname, search } = new URL(url);
      const stream: ClientHttp2Stream = session.request({ ':method': 'POST', ':path': `${pathname}${search}`, ...headers, 'content-type': 'application/json' });
      stream.once('close', () => {
        const streams = sessions.get(session);
        if (streams !== undefined) sessions.set(session, streams - 1);
      });
      stream.end(body);
      return {
        onResponse: (listener) => stream.on('response', (responseHeaders) => listener(Number(responseHeaders[':status']), stream)),
        onError: (listener) => stream.on('error', listener),
        destroy: () => stream.close(http2Constants.NGHTTP2_CANCEL),
      };
    },
    close() {
      for (const session of sessions.keys()) session.destroy();
      sessions.clear();
    },
  };
}
