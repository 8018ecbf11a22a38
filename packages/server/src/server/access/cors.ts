import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { sendJsonError } from '../http/send-json.ts';

/**
 * What a page on another origin may send: the credentials every SDK uses, the JSON body, EventSource's
 * resume header, the request id, and the headers the OpenAI and Anthropic SDKs add in a browser (their
 * `x-stainless-*` family is matched by prefix: each release adds some). The AI SDK's `DefaultChatTransport`
 * sends `content-type` and whatever `headers` it is given.
 */
const allowedHeaders = [
  'authorization',
  'x-api-key',
  'content-type',
  'last-event-id',
  'x-request-id',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
];
const allowedHeaderSet = new Set(allowedHeaders);

/** What a page may read of a response besides the CORS-safelisted headers. */
const exposedHeaders = [
  'x-request-id',
  'retry-after',
  'x-should-retry',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'x-vercel-ai-ui-message-stream',
].join(', ');

/**
 * Cross-origin access for the pages of SLUICE_CORS_ORIGINS (a list, or `*`). Returns true when it
 * answered the request itself (a preflight). Otherwise, for an allowed origin, it sets
 * `Access-Control-Allow-Origin` on the response before any head is written, so that streams, JSON and
 * errors all carry it. Credentials travel in headers, not cookies: no `Allow-Credentials`.
 */
export function createCors(origins: readonly string[]): (request: HttpRequest, response: HttpResponse) => boolean {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (request, response) => {
    const origin = request.headers.origin;
    if (origin === undefined) return false;
    const permitted = any || allowed.has(origin);
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!preflight) {
      if (!permitted) return false;
      response.setHeader('access-control-allow-origin', any ? '*' : origin);
      response.setHeader('access-control-expose-headers', exposedHeaders);
      if (!any) response.setHeader('vary', 'Origin');
      return false;
    }
    if (!permitted) {
      sendJsonError(response, new SluiceError('forbidden', `Origin ${JSON.stringify(origin.slice(0, 200))} is not in SLUICE_CORS_ORIGINS`), { vary: 'Origin' });
      return true;
    }
    const requested = String(request.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => /^x-stainless-[a-z0-9-]+$/.test(name) && !allowedHeaderSet.has(name));
    response.writeHead(204, {
      'access-control-allow-origin': any ? '*' : origin,
      'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
      'access-control-allow-headers': [...allowedHeaders, ...requested].join(', '),
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Headers',
    });
    response.end();
    return true;
  };
}
