import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeSseComment, encodeSseEvent, type SluiceEvent } from '@sluice/protocol';

export interface ScriptedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The whole body, once read (before the handler runs). */
  body: string;
  /** Resolves when the response closes; `byClient` is true when the client left before the response finished. */
  closed: Promise<{ byClient: boolean; atMs: number }>;
}

export type ScriptedHandler = (request: ScriptedRequest, response: ServerResponse) => void | Promise<void>;

export interface ScriptedServer {
  baseUrl: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

/**
 * A tiny HTTP server whose every answer the test writes by hand, byte for byte, so the client meets
 * exactly the wire it must handle. It records each request and when and how its connection closed.
 */
export async function startScriptedServer(handler: ScriptedHandler): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const server = createServer((incoming, response) => {
    const closed = new Promise<{ byClient: boolean; atMs: number }>((resolve) => {
      response.on('close', () => resolve({ byClient: !response.writableFinished, atMs: performance.now() }));
    });
    // Recorded on arrival, before its body is read: a client that gives up meanwhile (a timeout on a busy
    // machine) still finds its request, and how it closed, in `requests`.
    const request: ScriptedRequest = { method: incoming.method ?? '', path: incoming.url ?? '', headers: incoming.headers, body: '', closed };
    requests.push(request);
    void readBody(incoming)
      .then((body) => {
        request.body = body;
        return handler(request, response);
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function writeSseHead(response: ServerResponse, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', ...headers });
  response.flushHeaders();
}

/** One event as the Sluice dialect frames it: `id: <streamId>:<sequence>`, `event:` equal to `type`. */
export function sse(event: SluiceEvent, sequence?: number, streamId = 's1'): string {
  return encodeSseEvent(event.type, JSON.stringify(event), sequence === undefined ? undefined : `${streamId}:${sequence}`);
}

export const ping = encodeSseComment('ping');

export function meta(streamId = 's1', extra: Partial<Extract<SluiceEvent, { type: 'meta' }>> = {}): SluiceEvent {
  return { type: 'meta', stream_id: streamId, trace_id: 't1', model: 'test-model', created: 1_700_000_000, ...extra };
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
