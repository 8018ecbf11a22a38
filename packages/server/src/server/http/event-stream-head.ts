import type { HttpResponse } from './http-types.ts';

/** The 200 head of every streamed response. */
export function writeEventStreamHead(response: HttpResponse, contentType: string, requestId: string, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(200, {
    ...headers,
    'content-type': contentType,
    // no-transform keeps proxies (and compression middleware) from buffering or re-encoding the stream.
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  });
}
