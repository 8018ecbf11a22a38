import { Http2ServerRequest } from 'node:http2';
import type { HttpRequest } from './http-types.ts';

/**
 * How much of a body Sluice reads and drops after it answered without reading it (a 413, a 415). A
 * refused upload is usually a paste or a file a few times the limit, not a flood: 4 MiB covers a body five
 * times the default 1 MiB limit and costs no memory (nothing is kept). A client that sends more, or takes
 * longer than 5 s, is cut: the bound is what keeps a refused request from holding a connection forever.
 */
export const discardLimits = { maxBytes: 4 * 1_048_576, maxMs: 5_000 } as const;

/** True while some of the request's body has yet to arrive or be read. */
export function hasUnreadBody(request: HttpRequest): boolean {
  if (request.complete || request.destroyed) return false;
  // h2 frames a body without a length or chunking: there is one unless the request's headers ended its stream.
  if (request instanceof Http2ServerRequest) return !request.stream.endAfterHeaders;
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > 0;
}

/**
 * Reads the rest of a request's body and drops it. Closing a connection while its client is still
 * sending makes the kernel reset it, and a client reset mid-upload (`fetch`, most `node:http` code) reports
 * EPIPE instead of the answer that was already on its way. Resolves true when the body ended, false when
 * the client left, sent more than `discardLimits.maxBytes` or took longer than `discardLimits.maxMs`.
 */
export function discardRequestBody(request: HttpRequest): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  if (request.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let discardedBytes = 0;
    const onData = (chunk: Buffer): void => {
      discardedBytes += chunk.length;
      if (discardedBytes > discardLimits.maxBytes) settle(false);
    };
    const settle = (ended: boolean): void => {
      clearTimeout(timer);
      request.off('data', onData).off('end', onEnd).off('close', onClose);
      if (!ended) request.pause();
      resolve(ended);
    };
    const onEnd = (): void => settle(true);
    const onClose = (): void => settle(request.complete);
    const timer = setTimeout(() => settle(false), discardLimits.maxMs);
    request.on('data', onData).on('end', onEnd).on('close', onClose);
    request.resume();
  });
}
