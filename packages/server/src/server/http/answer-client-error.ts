import { maxHeaderSize, STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SluiceError } from '@sluice/protocol';
import { discardLimits } from './discard-request-body.ts';

/** A `clientError`: Node's HTTP parser refused the bytes, or the socket failed, before a request existed. */
type ClientError = Error & { code?: string; reason?: string; rawPacket?: Buffer };

/** Node's limit on one chunk's extensions (https://nodejs.org/api/errors.html#hpe_chunk_extensions_overflow). */
const maxChunkExtensionsBytes = 16_384;

/**
 * Answers what Node's HTTP parser refused (`server.on('clientError')`) with a JSON error that says what is
 * wrong, then closes. The client may still be sending (the rest of a long URL): the parser goes on reading
 * and dropping it, and a later error on the same socket is that, not a new request, so the socket is left to
 * the client to close, for at most `discardLimits`.
 */
export function answerClientError(error: ClientError, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    dropUnlessBounded(socket, error.rawPacket?.length ?? 0);
    return;
  }
  // A response already on its way (an event stream when a pipelined request is garbage) must not be corrupted.
  if ((socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const failure = describeClientError(error);
  const text = JSON.stringify(failure.toResponseBody());
  const head = [
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ''}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(text)}`,
    'cache-control: no-store',
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
  const timer = setTimeout(() => socket.destroy(), discardLimits.maxMs);
  socket.once('close', () => clearTimeout(timer));
}

const droppedBytes = new WeakMap<Duplex, number>();

function dropUnlessBounded(socket: Duplex, bytes: number): void {
  const total = (droppedBytes.get(socket) ?? 0) + bytes;
  droppedBytes.set(socket, total);
  if (total > discardLimits.maxBytes) socket.destroy();
}

/** The status and message for each thing the parser refuses, with the status Node itself would send. */
function describeClientError(error: ClientError): SluiceError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW': {
      const limit = `the ${maxHeaderSize}-byte limit on the request line and headers together`;
      if (isRequestLineTooLong(error.rawPacket)) {
        return new SluiceError('bad_request', `The URL is longer than ${limit}; send a long prompt in a POST body instead, e.g. POST /v1/chat/stream with {"prompt": "..."}`, { status: 414 });
      }
      return new SluiceError('bad_request', `The request headers are larger than ${limit}; send long prompts in a POST body, not in a URL or a header`, { status: 431 });
    }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      // A client too slow with its headers or its whole request (SLUICE_HEADERS_TIMEOUT_MS, SLUICE_BODY_TIMEOUT_MS).
      return new SluiceError('bad_request', 'The request did not arrive in time: send its headers and body without pausing', { status: 408 });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new SluiceError('payload_too_large', `A chunk of the request body has extensions larger than the ${maxChunkExtensionsBytes}-byte limit`);
    default:
      return new SluiceError('bad_request', `Malformed HTTP/1.1 request: ${error.reason ?? error.message}${error.code ? ` (${error.code})` : ''}`);
  }
}

/**
 * Whether the head overflowed in its request line. `rawPacket` is the chunk the parser was reading, not the
 * whole head, so this holds when that chunk starts the request and the line it starts outgrew half the limit
 * (or the chunk ended inside it).
 */
function isRequestLineTooLong(rawPacket: Buffer | undefined): boolean {
  if (rawPacket === undefined || !/^[A-Z]+ \S/.test(rawPacket.subarray(0, 32).toString('latin1'))) return false;
  const lineEnd = rawPacket.indexOf('\r\n');
  return lineEnd === -1 || lineEnd > maxHeaderSize / 2;
}
