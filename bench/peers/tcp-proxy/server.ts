/**
 * The floor under any Node relay: a TCP proxy that copies bytes both ways between the client and the
 * upstream, with no HTTP parsing, no JSON and no allocation of its own per event. What it costs per
 * event and per stream is what the kernel's loopback path and Node's `net` sockets cost on this
 * machine; a relay that reads and rewrites the stream cannot do better than this.
 */
import { connect, createServer } from 'node:net';

const upstream = new URL(process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8000/v1');

const server = createServer({ noDelay: true }, (client) => {
  const upstreamSocket = connect({ host: upstream.hostname, port: Number(upstream.port), noDelay: true });
  client.pipe(upstreamSocket);
  upstreamSocket.pipe(client);
  const closeBoth = (): void => {
    client.destroy();
    upstreamSocket.destroy();
  };
  client.on('error', closeBoth).on('close', closeBoth);
  upstreamSocket.on('error', closeBoth).on('close', closeBoth);
});

server.listen({ port: Number(process.env.PORT ?? 8083), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 });
