/**
 * The floor for a relay on Sluice's own HTTP stack: Node's `http` server and undici's `request` on a
 * keep-alive pool, as Sluice uses them, with nothing else. The upstream's body is written to the client
 * as it arrives (no parsing, no JSON, no dialect), paused while the client's socket is full, and the
 * upstream is aborted when the client's response closes early. Listeners rather than `pipeline()`, which
 * costs about 10 KB more per held stream: this is the least a correct relay on this stack holds. What it
 * costs above the TCP proxy is what the HTTP layers cost; what Sluice costs above it is Sluice's own work.
 */
import { createServer, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';

const upstreamBaseUrl = process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8000/v1';
const pool = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

const server = createServer({ noDelay: true, requestTimeout: 0 }, (req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(req.method === 'GET' ? 200 : 404, { 'content-type': 'text/plain' }).end('http floor');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => void relay(Buffer.concat(chunks), res));
});

async function relay(requestBody: Buffer, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
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

server.listen({ port: Number(process.env.PORT ?? 8084), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 });
