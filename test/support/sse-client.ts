import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest, type IncomingMessage } from 'node:http';
import { createParser } from 'eventsource-parser';

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface OpenedStream {
  status: number;
  headers: IncomingHttpHeaders;
  response: IncomingMessage;
  /** Messages parsed so far (grows while the stream is read). */
  messages: SseMessage[];
  /** SSE comments seen (e.g. `ping`), with performance.now() of arrival. */
  comments: { text: string; at: number }[];
  /** The raw body text so far. */
  raw(): string;
  /** Resolves when the response ended (or was destroyed). */
  ended: Promise<void>;
  /** Stops reading without closing (a stalled client), and resumes. */
  pause(): void;
  resume(): void;
  /** Closes the connection now; resolves performance.now() of the close. */
  destroy(): number;
}

export interface OpenOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not start reading the body (a client that never reads). */
  paused?: boolean;
  /** Receives the request as soon as it is sent, before any response. */
  onRequest?: (request: ClientRequest) => void;
}

/** Opens an HTTP request with node:http (so a test controls the socket exactly) and parses SSE as it arrives. */
export function openStream(url: string, options: OpenOptions = {}): Promise<OpenedStream> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request: ClientRequest = httpRequest(
      url,
      { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers: { 'content-type': 'application/json', ...options.headers }, agent: false },
      (response) => {
        const messages: SseMessage[] = [];
        const comments: { text: string; at: number }[] = [];
        let raw = '';
        const parser = createParser({
          onEvent: (message) => messages.push({ id: message.id, event: message.event, data: message.data }),
          onComment: (text) => comments.push({ text: text.trim(), at: performance.now() }),
        });
        const decoder = new TextDecoder();
        response.on('data', (chunk: Buffer) => {
          const text = decoder.decode(chunk, { stream: true });
          raw += text;
          parser.feed(text);
        });
        // A paused response whose socket dies emits nothing itself: the request's close covers that case.
        const ended = new Promise<void>((done) => {
          response.once('end', done);
          response.once('close', done);
          response.once('error', () => done());
          request.once('close', done);
        });
        if (options.paused) response.pause();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          response,
          messages,
          comments,
          raw: () => raw,
          ended,
          pause: () => response.pause(),
          resume: () => response.resume(),
          destroy: () => {
            request.destroy();
            return performance.now();
          },
        });
      },
    );
    options.onRequest?.(request);
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    request.end(body);
  });
}

/** Opens, reads to the end, and returns the stream. */
export async function readStream(url: string, options: OpenOptions = {}): Promise<OpenedStream> {
  const stream = await openStream(url, options);
  await stream.ended;
  return stream;
}
