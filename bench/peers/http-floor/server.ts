/**
 * The floor for a relay on Sluice's own HTTP stack: Node's `http` server and undici's `request` on a
 * keep-alive pool, as Sluice uses them, with nothing else. The upstream's body is piped to the client
 * as it arrives (no parsing, no JSON, no dialect), with backpressure, and the upstream is aborted when
 * the client's response closes early. What it costs above the TCP proxy is what the HTTP layers cost;
 * what Sluice costs above it is Sluice's own work.
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
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

async function relay(body: Buffer, res: import('node:http').ServerResponse): Promise<void> {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  try {
    const upstream = await request(`${upstreamBaseUrl}/chat/completions`, {
      method: 'POST',
      dispatcher: pool,
      headers: { 'content-type': 'application/json' },
      body,
      signal: controller.signal,
    });
    res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type'] ?? 'application/json') });
    await pipeline(upstream.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
}

server.listen({ port: Number(process.env.PORT ?? 8084), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 });
