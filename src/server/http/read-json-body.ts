import type { IncomingMessage } from 'node:http';
import { SluiceError } from '../../protocol/errors.ts';

/**
 * Reads and parses a JSON request body, refusing more than `maxBodyBytes` (413) and anything that is
 * not a JSON object (400). It stops reading as soon as the limit is passed, so an oversized body costs
 * no more memory than the limit.
 */
export async function readJsonBody(request: IncomingMessage, maxBodyBytes: number): Promise<Record<string, unknown>> {
  const declaredLength = Number(request.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBodyBytes) {
    throw tooLarge(maxBodyBytes);
  }
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    receivedBytes += chunk.length;
    if (receivedBytes > maxBodyBytes) throw tooLarge(maxBodyBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new SluiceError('bad_request', 'Request body is empty; expected a JSON object');
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

function tooLarge(maxBodyBytes: number): SluiceError {
  return new SluiceError('payload_too_large', `Request body is larger than the limit of ${maxBodyBytes} bytes`);
}
