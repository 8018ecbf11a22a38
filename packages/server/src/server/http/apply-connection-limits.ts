import { Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';

/** How long a client may take, and how many connections it may hold; every value is a setting. */
export interface ConnectionLimits {
  /** From the connection (or the previous response) to the end of the request's headers (408 after). */
  headersTimeoutMs: number;
  /** From the connection to the end of the request's body (408 after); a response in progress is not limited. */
  bodyTimeoutMs: number;
  /** How long an idle keep-alive connection is kept between requests. */
  keepAliveTimeoutMs: number;
  /** Connections open at once, from every client together; 0 for no cap beyond the process's file limit. */
  maxConnections: number;
  /** Connections open at once from one client address; 0 for no cap (behind a proxy every client shares its address). */
  maxConnectionsPerAddress: number;
}

/**
 * Applies the limits to a server before it listens. The caps hold for any `net.Server` (HTTP/1.1, TLS,
 * HTTP/2): a connection past one is closed before a byte is read. The header, body and keep-alive
 * timeouts are Node's own for an `http.Server`, which checks them on an interval that is made short
 * enough here for them to hold to within a quarter of the shortest.
 */
export function applyConnectionLimits(server: NetServer, limits: ConnectionLimits): void {
  if (server instanceof HttpServer) {
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.bodyTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    // The createServer option, which Node reads from the server when it starts listening (its default,
    // 30 s, would let a slow client keep its connection that much longer than the timeouts say; the slow
    // connection tests fail without it). One pass over the connection list per check.
    (server as HttpServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs) / 4));
  }
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  if (limits.maxConnectionsPerAddress > 0) capConnectionsPerAddress(server, limits.maxConnectionsPerAddress);
}

function capConnectionsPerAddress(server: NetServer, maxPerAddress: number): void {
  const openByAddress = new Map<string, number>();
  // First among the connection's listeners: the server's own (the HTTP parser, or the protocol sniffing of
  // `createListener`, added before the limits) never sees a socket past the cap.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const open = openByAddress.get(address) ?? 0;
    if (open >= maxPerAddress) {
      socket.destroy();
      return;
    }
    openByAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (openByAddress.get(address) ?? 1) - 1;
      if (left === 0) openByAddress.delete(address);
      else openByAddress.set(address, left);
    });
  });
}
