import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, createServer as createH2cServer, type Http2Session } from 'node:http2';
import { Server as NetServer, type Socket } from 'node:net';
import { answerClientError } from './answer-client-error.ts';
import type { HttpRequest, HttpResponse } from './http-types.ts';

/** A certificate chain and its private key, PEM, for h2 and HTTP/1.1 over TLS on Sluice's port. */
export interface TlsIdentity {
  cert: Buffer;
  key: Buffer;
}

/**
 * The server that owns Sluice's port and the protocols on it: with a TLS identity, TLS, where ALPN picks
 * h2 or HTTP/1.1; without one, cleartext HTTP/1.1 and h2 with prior knowledge, told apart by the first
 * bytes of each connection. Both protocols hand their requests to the same handler.
 */
export interface Listener {
  /** The listening server (`listen`, `address`). */
  readonly server: NetServer;
  readonly secure: boolean;
  /**
   * Stops accepting connections. HTTP/1.1 keep-alive connections stay open (a load balancer's next
   * probe on one reads the 503 of `/readyz`); each h2 connection gets a GOAWAY, which lets its streams
   * in flight finish and sends its client's next requests to a new connection.
   */
  stopAccepting(): Promise<void>;
  /** Closes every connection still open. */
  closeAll(): void;
}

/** The first bytes of every h2 connection with prior knowledge (RFC 9113 §3.4); no HTTP/1.1 request line starts so. */
const h2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * h2 sessions may hold this much memory (frames and buffered writes) before they refuse new streams;
 * Node's default of 10 MB is a few dozen stalled streams' flow-control windows.
 */
const maxSessionMemoryMegabytes = 64;

export function createListener(handle: (request: HttpRequest, response: HttpResponse) => void, tls: TlsIdentity | undefined): Listener {
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const trackSession = (session: Http2Session): void => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  };
  let server: NetServer;
  if (tls !== undefined) {
    const secure = createSecureServer({ ...tls, allowHTTP1: true, noDelay: true, maxSessionMemory: maxSessionMemoryMegabytes }, handle);
    secure.on('secureConnection', track);
    secure.on('clientError', answerClientError);
    secure.on('session', trackSession);
    server = secure;
  } else {
    const http1 = createHttp1Server({ noDelay: true, requestTimeout: 0 }, handle as (request: IncomingMessage, response: ServerResponse) => void);
    http1.on('clientError', answerClientError);
    const h2c = createH2cServer({ maxSessionMemory: maxSessionMemoryMegabytes }, handle);
    h2c.on('session', trackSession);
    // The HTTP/1.1 server keeps the port, so its header timeout and connection handling stay as they
    // are; only its connection listener is moved behind the sniffing of each connection's first bytes.
    const [http1ConnectionListener] = http1.listeners('connection') as ((socket: Socket) => void)[];
    http1.removeAllListeners('connection');
    http1.on('connection', (socket: Socket) => {
      track(socket);
      sniffProtocol(socket, (isH2) => (isH2 ? h2c.emit('connection', socket) : http1ConnectionListener!.call(http1, socket)));
    });
    server = http1;
  }
  return {
    server,
    secure: tls !== undefined,
    stopAccepting() {
      // net.Server#close, not the HTTP servers' own close: those drop idle keep-alive connections too.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      for (const session of sessions) session.close();
      return closed;
    },
    closeAll() {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * Reads a connection's first bytes until they either match the h2 preface or cannot, then puts them back
 * and hands the socket on: HTTP/1.1's parser takes them from the flowing socket, h2's session from its
 * buffer (node:http2 reads what a socket already holds when the session starts, on the next tick).
 */
function sniffProtocol(socket: Socket, handOver: (isH2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  // The socket is half-open until a parser owns it: a client that leaves before its first full bytes
  // would otherwise keep its connection, and its place under the connection caps, forever.
  const onEnd = (): void => {
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const compared = Math.min(seen.length, h2Preface.length);
    const isH2 = seen.subarray(0, compared).equals(h2Preface.subarray(0, compared));
    if (isH2 && compared < h2Preface.length) return;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    socket.unshift(seen);
    // The HTTP/1.1 server's sockets are half-open (HTTP/1.1 handles a client's FIN itself); an h2
    // session closes with its socket, so the client's end must close this one, as it does on
    // node:http2's own servers, or a dropped connection would leave its streams running.
    if (isH2) socket.allowHalfOpen = false;
    handOver(isH2);
    if (!isH2) socket.resume();
  };
  socket.on('data', onData);
  socket.once('end', onEnd);
}
