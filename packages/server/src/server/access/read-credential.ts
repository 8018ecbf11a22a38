import type { HttpRequest } from '../http/http-types.ts';

/** The query parameter of a stream token, for clients that cannot set headers (`EventSource`). */
export const streamTokenParameter = 'stream_token';

/** The chat page's session: a stream token in an HttpOnly, SameSite=Strict cookie. */
export const sessionCookieName = 'sluice_session';

/** What a request authenticates with, as the client's SDK sends it. */
export type Credential = { kind: 'key'; secret: string } | { kind: 'stream-token'; token: string };

/**
 * The credential of a request: `Authorization: Bearer` (the OpenAI SDK, the AI SDK, Sluice's client),
 * else `x-api-key` (the Anthropic SDK), else a stream token in the URL of a GET (an `EventSource`),
 * else the session cookie. The cookie counts only on requests a browser marks as coming from the page's
 * own origin (or that carry no `Sec-Fetch-Site`, as non-browser clients): a page on another site cannot
 * spend it.
 */
export function readCredential(request: HttpRequest, url: URL): Credential | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return { kind: 'key', secret: match?.[1] ?? '' };
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string') return { kind: 'key', secret: apiKey.trim() };
  if (request.method === 'GET' || request.method === 'HEAD') {
    const token = url.searchParams.get(streamTokenParameter);
    if (token !== null) return { kind: 'stream-token', token };
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return undefined;
  const token = readCookie(request.headers.cookie, sessionCookieName);
  return token === undefined ? undefined : { kind: 'stream-token', token };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator !== -1 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}
