import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse } from './http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { matchPath } from './http/match-path.ts';
import type { ServerState } from './handle-request.ts';
import { getHealth, getMetrics, getReadiness } from './routes/health.ts';
import { deleteKey, getKey, getKeys, getKeyUsage, patchKey, postKey } from './routes/admin-keys.ts';
import { requestIdOf } from './http/request-id.ts';
import { sendFailure } from './http/send-failure.ts';
import { sendJsonError } from './http/send-json.ts';

/** Which listener a request came in on: the public one, or SLUICE_ADMIN_PORT's. */
export type Listener = 'public' | 'admin';

type AdminHandler = (state: ServerState, request: HttpRequest, response: HttpResponse, requestId: string, id: string) => Promise<void>;

const keyRoutes: { pattern: string; methods: Record<string, AdminHandler> }[] = [
  {
    pattern: '/admin/keys',
    methods: { GET: (state, _request, response, requestId) => getKeys(state, response, requestId), POST: (state, request, response, requestId) => postKey(state, request, response, requestId) },
  },
  {
    pattern: '/admin/keys/{id}',
    methods: {
      GET: (state, _request, response, requestId, id) => getKey(state, response, id, requestId),
      PATCH: (state, request, response, requestId, id) => patchKey(state, request, response, id, requestId),
      DELETE: (state, _request, response, requestId, id) => deleteKey(state, response, id, requestId),
    },
  },
  { pattern: '/admin/keys/{id}/usage', methods: { GET: (state, _request, response, requestId, id) => getKeyUsage(state, response, id, requestId) } },
];

/**
 * The admin surface: `/metrics` and `/admin/keys`. On the public listener it exists only while
 * SLUICE_ADMIN_PORT is unset, and then `/metrics` needs the admin token whenever one is set; on the
 * admin listener `/metrics` is open (it is for the scraper). `/admin` always needs the admin token, and
 * without SLUICE_ADMIN_TOKEN it does not exist. Returns false when `url` is none of these (the admin
 * listener answers the rest 404 itself, apart from its probes).
 */
export async function serveAdminSurface(state: ServerState, request: HttpRequest, response: HttpResponse, url: URL, requestId: string, listener: Listener): Promise<boolean> {
  const { pathname } = url;
  const isMetrics = pathname === '/metrics';
  if (!isMetrics && pathname !== '/admin' && !pathname.startsWith('/admin/')) return false;
  if (listener === 'public' && state.settings.adminPort !== undefined) return false;
  if (isMetrics) {
    if (request.method !== 'GET') throw new SluiceError('method_not_allowed', `Method ${request.method} is not allowed on /metrics; use GET`);
    if (listener === 'public' && state.settings.adminToken !== undefined) requireAdminToken(request, response, state.settings.adminToken);
    await getMetrics(response, state.metrics);
    return true;
  }
  if (state.settings.adminToken === undefined) throw new SluiceError('not_found', 'There is no admin API: set SLUICE_ADMIN_TOKEN to enable /admin/keys');
  requireAdminToken(request, response, state.settings.adminToken);
  for (const { pattern, methods } of keyRoutes) {
    const params = matchPath(pattern, pathname);
    if (params === undefined) continue;
    const handler = methods[request.method ?? ''];
    if (handler === undefined) {
      const allowed = Object.keys(methods).join(', ');
      sendJsonError(response, new SluiceError('method_not_allowed', `Method ${request.method} is not allowed on ${pathname}; use ${allowed}`), { allow: allowed });
      return true;
    }
    await handler(state, request, response, requestId, params.id ?? '');
    return true;
  }
  throw new SluiceError('not_found', `No route ${request.method} ${pathname}`);
}

/** Dispatches a request of the admin listener: the admin surface and the probes, nothing else. */
export async function handleAdminRequest(state: ServerState, request: HttpRequest, response: HttpResponse): Promise<void> {
  const requestId = requestIdOf(request);
  try {
    const url = new URL(request.url ?? '/', 'http://sluice.invalid');
    if (await serveAdminSurface(state, request, response, url, requestId, 'admin')) return;
    if (request.method === 'GET' && url.pathname === '/healthz') return getHealth(response);
    if (request.method === 'GET' && url.pathname === '/readyz') return getReadiness(response, state.draining);
    throw new SluiceError('not_found', `No route ${request.method} ${url.pathname} on the admin port`);
  } catch (error) {
    sendFailure(state, response, requestId, error);
  }
}

/** Compared as SHA-256 digests, in constant time: equal lengths, and no early exit to time. */
function requireAdminToken(request: HttpRequest, response: HttpResponse, adminToken: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  const given = createHash('sha256').update(match?.[1] ?? '').digest();
  const expected = createHash('sha256').update(adminToken).digest();
  if (match !== null && timingSafeEqual(given, expected)) return;
  response.setHeader('www-authenticate', 'Bearer realm="sluice-admin"');
  throw new SluiceError('unauthorized', match === null ? 'The admin API needs "Authorization: Bearer <SLUICE_ADMIN_TOKEN>"' : 'The admin token is not valid');
}
