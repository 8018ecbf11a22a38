import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest } from 'node:http';
import { constants as http2Constants, type ClientHttp2Session } from 'node:http2';
import type { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface OpenedStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Messages parsed so far (grows while the stream is read). */
  messages: SseMessage[];
  /** SSE comments seen (e.g. `ping`), with performance.now() of arrival. */
  comments: { text: string; at: number }[];
  /** performance.now() of each read of the body: one per write of Sluice's that arrived on its own. */
  reads: number[];
  /** The raw body text so far. */
  raw(): string;
  /** True once the body arrived whole: HTTP/1.1's terminating chunk, h2's END_STREAM; never after a cut or a reset. */
  complete(): boolean;
  /** Resolves when the response ended (or was destroyed). */
  ended: Promise<void>;
  /** Stops reading without closing (a stalled client), and resumes. */
  pause(): void;
  resume(): void;
  /** Closes the connection (HTTP/1.1) or resets the stream (h2, `CANCEL`) now; resolves performance.now() of the close. */
  destroy(): number;
}

/** What a test can do with a request before its response arrived: give up on it. */
export interface PendingRequest {
  destroy(): void;
}

export interface OpenOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not start reading the body (a client that never reads). */
  paused?: boolean;
  /** Receives the request as soon as it is sent, before any response. */
  onRequest?: (request: PendingRequest) => void;
  /** Sends the request as one stream of this h2 connection instead of on an HTTP/1.1 connection of its own. */
  session?: ClientHttp2Session;
}

/**
 * Opens a request with node:http (a connection of its own, so a test controls the socket exactly) or as
 * a stream of an h2 session, and parses SSE as it arrives.
 */
export function openStream(url: string, options: OpenOptions = {}): Promise<OpenedStream> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const headers = { 'content-type': 'application/json', ...options.headers };
  return options.session === undefined ? openHttp1(url, method, headers, body, options) : openHttp2(options.session, url, method, headers, body, options);
}

function openHttp1(url: string, method: string, headers: Record<string, string>, body: string | undefined, options: OpenOptions): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const request: ClientRequest = httpRequest(url, { method, headers, agent: false }, (response) => {
      // A paused response whose socket dies emits nothing itself: the request's close covers that case.
      const ended = new Promise<void>((done) => {
        response.once('end', done);
        response.once('close', done);
        response.once('error', () => done());
        request.once('close', done);
      });
      resolve(readBody(response, response.statusCode ?? 0, response.headers, ended, options, {
        complete: () => response.complete,
        destroy: () => request.destroy(),
      }));
    });
    options.onRequest?.(request);
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    request.end(body);
  });
}

function openHttp2(session: ClientHttp2Session, url: string, method: string, headers: Record<string, string>, body: string | undefined, options: OpenOptions): Promise<OpenedStream> {
  const { pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': `${pathname}${search}`, ...headers });
    // What a browser sends when a page aborts a fetch: this stream only, the connection stays.
    const cancel = (): void => stream.close(http2Constants.NGHTTP2_CANCEL);
    let responded = false;
    let sawEnd = false;
    const ended = new Promise<void>((done) => {
      stream.once('end', () => {
        sawEnd = true;
        done();
      });
      stream.once('close', done);
    });
    stream.on('error', (error) => {
      if (!responded) reject(error);
    });
    stream.once('response', (responseHeaders) => {
      responded = true;
      const { ':status': status, ...rest } = responseHeaders;
      resolve(readBody(stream, Number(status), rest as IncomingHttpHeaders, ended, options, {
        complete: () => sawEnd && (stream.rstCode === undefined || stream.rstCode === http2Constants.NGHTTP2_NO_ERROR),
        destroy: cancel,
      }));
    });
    options.onRequest?.({ destroy: cancel });
    stream.end(body);
  });
}

function readBody(
  body: Readable,
  status: number,
  headers: IncomingHttpHeaders,
  ended: Promise<void>,
  options: OpenOptions,
  transport: { complete(): boolean; destroy(): void },
): OpenedStream {
  const messages: SseMessage[] = [];
  const comments: { text: string; at: number }[] = [];
  const reads: number[] = [];
  let raw = '';
  const parser = createParser({
    onEvent: (message) => messages.push({ id: message.id, event: message.event, data: message.data }),
    onComment: (text) => comments.push({ text: text.trim(), at: performance.now() }),
  });
  const decoder = new TextDecoder();
  body.on('data', (chunk: Buffer) => {
    reads.push(performance.now());
    const text = decoder.decode(chunk, { stream: true });
    raw += text;
    parser.feed(text);
  });
  if (options.paused) body.pause();
  return {
    status,
    headers,
    messages,
    comments,
    reads,
    raw: () => raw,
    complete: transport.complete,
    ended,
    pause: () => body.pause(),
    resume: () => body.resume(),
    destroy: () => {
      transport.destroy();
      return performance.now();
    },
  };
}

/** Opens, reads to the end, and returns the stream. */
export async function readStream(url: string, options: OpenOptions = {}): Promise<OpenedStream> {
  const stream = await openStream(url, options);
  await stream.ended;
  return stream;
}
