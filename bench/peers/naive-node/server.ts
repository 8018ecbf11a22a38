/**
 * The naive Node relay, written the way the seed's Node example writes one: `fetch` to the upstream,
 * `for await` over its body, `res.write` each chunk, and `req.on('close')` to abort.
 *
 * Kept naive on purpose, as a benchmark peer. Two defects are the point of comparing against it:
 * - `req` emits 'close' as soon as its body has been read, which is before the listener is attached
 *   here, so the listener never runs and the upstream is never aborted when the client leaves
 *   (the right signal is `res.on('close')` with `!res.writableFinished`);
 * - `res.write`'s return value is ignored, so a client that stops reading makes the relay buffer
 *   everything the upstream sends.
 */
import { createServer } from 'node:http';

const upstreamBaseUrl = process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8000/v1';
const apiKey = process.env.OPENAI_API_KEY ?? '';

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(req.method === 'GET' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end('naive relay');
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;

  const controller = new AbortController();
  req.on('close', () => controller.abort());

  try {
    const upstream = await fetch(`${upstreamBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body,
      signal: controller.signal,
    });
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-cache',
    });
    if (upstream.body === null) {
      res.end();
      return;
    }
    for await (const chunk of upstream.body) res.write(chunk);
    res.end();
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(error) } }));
  }
});

server.listen(Number(process.env.PORT ?? 8082), process.env.HOST ?? '127.0.0.1');
