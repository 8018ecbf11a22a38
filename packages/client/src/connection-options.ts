import { SluiceClientError } from './client-error.ts';

/** How to reach the server and how long to wait for it; shared by every `stream*` function. */
export interface ConnectionOptions {
  /**
   * Where Sluice is mounted, e.g. `https://gateway.example.com` or `https://example.com/sluice/`.
   * @default the page's origin in a browser; required in Node
   */
  baseUrl?: string;
  /** Sent on every request of the stream (first, resume, cancel). */
  headers?: HeadersInit;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** @default 'same-origin' */
  credentials?: RequestCredentials;
  signal?: AbortSignal;
  /** A fetch to use instead of the global one (tests, proxies, edge runtimes). */
  fetch?: typeof fetch;
  /** Fails with `first_token_timeout` when no token arrives this long after the request; 0 disables. @default 120000 */
  firstTokenTimeoutMs?: number;
  /** Fails with `idle_timeout` when no event arrives this long after the previous one; heartbeats do not count; 0 disables. @default 60000 */
  idleTimeoutMs?: number;
}

export const defaultFirstTokenTimeoutMs = 120_000;
export const defaultIdleTimeoutMs = 60_000;

/** Resolves `path` (no leading slash) against the base URL, keeping any path prefix the base has. */
export function resolveEndpoint(options: ConnectionOptions, path: string): string {
  const base = options.baseUrl ?? globalThis.location?.origin;
  if (base === undefined) {
    throw new SluiceClientError('bad_request', 'baseUrl is required outside a browser (e.g. "http://127.0.0.1:8787")');
  }
  return new URL(path, base.endsWith('/') ? base : `${base}/`).href;
}

export function createHeaders(options: ConnectionOptions, extra: Record<string, string>): Headers {
  const headers = new Headers(extra);
  if (options.apiKey !== undefined) headers.set('authorization', `Bearer ${options.apiKey}`);
  new Headers(options.headers).forEach((value, name) => headers.set(name, value));
  return headers;
}

export function resolveFetch(options: ConnectionOptions): typeof fetch {
  return options.fetch ?? ((input, init) => globalThis.fetch(input, init));
}
