/**
 * The floor for a relay on Sluice's own HTTP stack: Node's `http` server (or, with
 * `HTTP_FLOOR_PROTOCOL=h2c`, node:http2's for cleartext h2 clients, through the same compatibility API
 * Sluice uses) and undici's `request` on a keep-alive pool (h2 to an https upstream, as Sluice's), with
 * nothing else. The upstream's body is written to the client as it arrives (no parsing, no JSON, no
 * dialect), paused while the client's socket (or h2 stream) is full, and the upstream is aborted when the
 * client's response closes early. Listeners rather than `pipeline()`, which costs about 10 KB more per
 * held stream: this is the least a correct relay on this stack holds. What it costs above the TCP proxy
 * is what the HTTP layers cost; what Sluice costs above it is Sluice's own work.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';
import { Agent, request } from 'undici';

const upstreamBaseUrl = process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8000/v1';
const pool = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, allowH2: upstreamBaseUrl.startsWith('https:') });

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(req.method === 'GET' ? 200 : 404, { 'content-type': 'text/plain' }).end('http floor');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => void relay(Buffer.concat(chunks), res));
}

async function relay(requestBody: Buffer, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  // writableEnded, not writableFinished: Node finishes a reset h2 stream's writable side before `close`.
  res.on('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  try {
    const upstream = await request(`${upstreamBaseUrl}/chat/completions`, {
      method: 'POST',
      dispatcher: pool,
      headers: { 'content-type': 'application/json' },
      body: requestBody,
      signal: controller.signal,
    });
    res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type'] ?? 'application/json') });
    const { body } = upstream;
    body.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) body.pause();
    });
    res.on('drain', () => body.resume());
    body.on('end', () => res.end());
    body.on('error', () => res.destroy());
  } catch {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
}

// node:http2's compatibility response has every method `relay` uses.
const server = process.env.HTTP_FLOOR_PROTOCOL === 'h2c' ? createH2cServer((req, res) => handle(req as unknown as IncomingMessage, res as unknown as ServerResponse)) : createHttp1Server({ noDelay: true, requestTimeout: 0 }, handle);

server.listen({ port: Number(process.env.PORT ?? 8084), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 });
