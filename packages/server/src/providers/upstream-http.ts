/**
 * The one place Sluice talks HTTP to an upstream: undici `request` on keep-alive pools (HTTP/1.1, or h2
 * where a TLS upstream offers it), with the stream's AbortSignal attached for the request's whole life,
 * and every pre-first-byte failure mapped to a SluiceError with the status a client should see.
 */

import { rootCertificates } from 'node:tls';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { SluiceError } from '@sluice/protocol';

export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  /** Strings that must never reach a client (the API key), scrubbed from upstream error messages. */
  secrets: string[];
}

export type UpstreamResponse = Dispatcher.ResponseData;

const maxErrorBodyBytes = 64 * 1024;
const upstreamReadBufferBytes = 16 * 1024;

/**
 * The upstreams' connections: `http1` opens one per stream in flight (keep-alive, reused after), `http2`
 * offers h2 by ALPN to TLS upstreams and carries up to 100 streams on each connection (HTTP/1.1 for
 * upstreams that do not take it, and for `http:` URLs, which have no ALPN).
 */
export interface UpstreamPools {
  http1: Dispatcher;
  http2: Dispatcher;
  /** The pool for an upstream: h2 when it is allowed and the URL is `https:`. */
  forUpstream(baseUrl: string, allowHttp2: boolean): Dispatcher;
  close(): Promise<void>;
}

export interface UpstreamPoolOptions {
  /** PEM certificates trusted for upstream TLS besides Node's own roots (a private CA, a test's). */
  extraCa?: Buffer;
}

/**
 * An h2 stream's flow-control window: what one stream's upstream may send before Sluice reads it, so
 * the most a stalled client makes Sluice hold from an h2 upstream (undici's default is 256 KiB).
 */
const http2StreamWindowBytes = 64 * 1024;
/**
 * The connection's window is at least every stream's window at once (100 streams), so streams stalled
 * by their clients can never use it up and stall the other streams of their connection.
 */
const http2ConnectionWindowBytes = 8 * 1024 * 1024;

export function createUpstreamPools(options: UpstreamPoolOptions = {}): UpstreamPools {
  // Keep-alive connections are reused across streams; an aborted stream's HTTP/1.1 connection is
  // destroyed by undici, an aborted h2 stream reset (RST_STREAM) and its connection kept.
  const common = {
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    ...(options.extraCa === undefined ? {} : { connect: { ca: [...rootCertificates, options.extraCa.toString('utf8')] } }),
  };
  // undici 8 offers h2 unless told not to.
  const http1 = new Agent({ ...common, allowH2: false });
  const http2 = new Agent({
    ...common,
    allowH2: true,
    h2Options: { maxConcurrentStreams: 100, connectionWindowSize: http2ConnectionWindowBytes, settings: { initialWindowSize: http2StreamWindowBytes } },
  });
  return {
    http1,
    http2,
    forUpstream: (baseUrl, allowHttp2) => (allowHttp2 && baseUrl.startsWith('https:') ? http2 : http1),
    async close() {
      await Promise.all([http1.close(), http2.close()]);
    },
  };
}

/** Sends the request and resolves once a 2xx status and headers arrived; otherwise throws a SluiceError. */
export async function openUpstream(pool: Dispatcher, upstream: UpstreamRequest): Promise<UpstreamResponse> {
  let response: UpstreamResponse;
  try {
    response = await request(upstream.url, {
      method: 'POST',
      dispatcher: pool,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/json', ...upstream.headers },
      body: JSON.stringify(upstream.body),
      signal: upstream.signal,
      // What undici buffers from the upstream before it stops reading the socket: part of the
      // per-stream memory bound when a client stalls (undici's default is 64 KiB).
      highWaterMark: upstreamReadBufferBytes,
    });
  } catch (error) {
    throw connectionError(error, upstream.signal);
  }
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  const text = await readBounded(response.body, maxErrorBodyBytes, upstream.signal);
  throw statusError(response.statusCode, response.headers, text, upstream.secrets);
}

/**
 * Opens an upstream that must answer with an event stream: resolves with the body to read, or throws a
 * SluiceError (an error status, or a 2xx that is not `text/event-stream`, such as a JSON answer from a
 * server that ignored `stream: true`).
 */
export async function openUpstreamEventStream(pool: Dispatcher, upstream: UpstreamRequest): Promise<UpstreamResponse['body']> {
  const response = await openUpstream(pool, upstream);
  const contentType = String(response.headers['content-type'] ?? '');
  if (!contentType.startsWith('text/event-stream')) {
    discardBody(response.body);
    throw new SluiceError('upstream_error', `The upstream answered with ${contentType || 'no content type'} instead of an event stream`);
  }
  return response.body;
}

/**
 * Closes a body Sluice will not read. undici destroys an unfinished body with a `RequestAbortedError`
 * 'error' event, and an 'error' event with no listener ends the process: the listener is the point.
 */
export function discardBody(body: UpstreamResponse['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** Maps a failure to connect or to get headers. An abort keeps the abort's own reason. */
export function connectionError(error: unknown, signal: AbortSignal): SluiceError {
  if (signal.aborted) return abortReason(signal);
  const code = (error as { code?: string }).code ?? (error as Error).name;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.ConnectTimeoutError) {
    return new SluiceError('upstream_timeout', 'The upstream did not answer in time', { cause: error });
  }
  return new SluiceError('upstream_error', `Cannot reach the upstream (${code})`, { cause: error });
}

/** The reason a signal was aborted with, as a SluiceError (Sluice always aborts with one). */
export function abortReason(signal: AbortSignal): SluiceError {
  const reason: unknown = signal.reason;
  return reason instanceof SluiceError ? reason : new SluiceError('cancelled', 'The stream was cancelled', { cause: reason });
}

function statusError(status: number, headers: Dispatcher.ResponseData['headers'], text: string, secrets: string[]): SluiceError {
  const upstreamMessage = scrubSecrets(extractMessage(text), secrets);
  const detail = upstreamMessage ? `: ${upstreamMessage}` : '';
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(headers['retry-after']);
    return new SluiceError('rate_limited', `The upstream is rate limiting requests${detail}`, { retryAfterSeconds });
  }
  // The upstream rejecting Sluice's own credentials is not the client's fault, and its message may echo
  // part of the key: say only what happened.
  if (status === 401 || status === 403) {
    return new SluiceError('upstream_error', `The upstream rejected Sluice's credentials (HTTP ${status})`, { retryable: false });
  }
  if (status === 408 || status === 504) return new SluiceError('upstream_timeout', `The upstream timed out (HTTP ${status})${detail}`);
  // 529 is Anthropic's "overloaded" (https://docs.anthropic.com/en/api/errors).
  if (status === 529) return new SluiceError('overloaded', `The upstream is overloaded (HTTP 529)${detail}`, { retryAfterSeconds: parseRetryAfter(headers['retry-after']) });
  if (status === 404) return new SluiceError('not_found', `The upstream answered 404${detail}`);
  if (status >= 400 && status < 500) return new SluiceError('bad_request', `The upstream refused the request (HTTP ${status})${detail}`);
  return new SluiceError('upstream_error', `The upstream failed (HTTP ${status})${detail}`);
}

function extractMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (body.error && typeof body.error.message === 'string') return body.error.message;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim().slice(0, 500);
}

const keyPattern = /\b(sk|sk-ant|sk-proj|key)-[A-Za-z0-9_-]{6,}/g;

export function scrubSecrets(text: string, secrets: string[]): string {
  let scrubbed = text;
  for (const secret of secrets) if (secret) scrubbed = scrubbed.split(secret).join('[redacted]');
  return scrubbed.replace(keyPattern, '[redacted]');
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function readBounded(body: UpstreamResponse['body'], maxBytes: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= maxBytes) break;
    }
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    throw new SluiceError('upstream_error', 'The upstream failed while sending its error', { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}
