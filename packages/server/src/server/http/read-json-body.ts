import type { HttpRequest } from './http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { checkJsonDepth } from './check-json-depth.ts';

/**
 * Reads and parses a JSON request body, refusing a body not labelled `application/json` (415), more than
 * `maxBodyBytes` (413) and anything that is not a JSON object or nests deeper than `maxJsonDepth` (400).
 * It stops reading as soon as the limit is passed, so an oversized body costs no more memory than the limit.
 *
 * The 415 is what keeps other web sites out: a page's cross-origin `fetch` may send `text/plain`,
 * `application/x-www-form-urlencoded` or `multipart/form-data` without asking first, and only those; a
 * JSON content type makes the browser ask (CORS preflight), and Sluice answers no preflight.
 */
export async function readJsonBody(request: HttpRequest, maxBodyBytes: number): Promise<Record<string, unknown>> {
  const contentType = request.headers['content-type'];
  if (!isJsonMediaType(contentType)) {
    const got = contentType === undefined ? 'no Content-Type' : JSON.stringify(contentType);
    throw new SluiceError('unsupported_media_type', `Content-Type must be application/json (a charset parameter may follow), got ${got}`);
  }
  const declaredLength = Number(request.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBodyBytes) {
    throw tooLarge(maxBodyBytes);
  }
  const chunks = await collectBody(request, maxBodyBytes);
  const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
  if (text.trim() === '') throw new SluiceError('bad_request', 'Request body is empty; expected a JSON object');
  checkJsonDepth(text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new SluiceError('bad_request', `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SluiceError('bad_request', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** `application/json`, in any case, with or without parameters (`; charset=utf-8`). */
function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

function tooLarge(maxBodyBytes: number): SluiceError {
  return new SluiceError('payload_too_large', `Request body is larger than the limit of ${maxBodyBytes} bytes`);
}

/**
 * The body's chunks, through 'data' and 'end' listeners: a body that arrived with the headers (almost
 * every chat request) is complete within the same turn, without the stream's async iterator and its
 * promise per chunk. Past `maxBodyBytes` the request is paused: the answer (`sendJson`) reads and drops
 * the rest.
 */
function collectBody(request: HttpRequest, maxBodyBytes: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    const onData = (chunk: Buffer): void => {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBodyBytes) {
        settle();
        request.pause();
        reject(tooLarge(maxBodyBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      settle();
      resolve(chunks);
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    const onClose = (): void => {
      if (request.complete) return;
      settle();
      reject(new SluiceError('bad_request', 'The client closed the connection before the request body was complete'));
    };
    const settle = (): void => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
