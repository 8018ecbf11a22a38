import { authorityOf, type HttpRequest, type HttpResponse } from './http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { anthropicErrorBody } from './dialects/anthropic-messages/anthropic-error.ts';
import { serveAdminSurface } from './handle-admin-request.ts';
import { isHostAllowed } from './http/is-host-allowed.ts';
import { matchPath, type PathParams } from './http/match-path.ts';
import { requestIdOf } from './http/request-id.ts';
import { sendFailure } from './http/send-failure.ts';
import { sendJsonError } from './http/send-json.ts';
import type { RelayServices } from './relay/relay-chat.ts';
import { getChatStream, postChatStream } from './routes/chat-stream.ts';
import { getChatText, postChatText } from './routes/chat-text.ts';
import { postChatCompletions } from './routes/chat-completions.ts';
import { deleteCollection, deleteDocument, getCollection, getCollections, getDocuments, postDocuments } from './routes/collections.ts';
import { getHealth, getReadiness } from './routes/health.ts';
import { postMessages } from './routes/messages.ts';
import { getModels } from './routes/models.ts';
import { postResponses } from './routes/responses.ts';
import { cancelBackgroundResponse, getBackgroundResponse } from './routes/responses-background.ts';
import { postStreamToken } from './routes/stream-tokens.ts';
import { deleteUIMessageStream, getUIMessageStream, postUIMessageStream } from './routes/ui-message-stream.ts';
import { deleteStream, getStream } from './routes/streams.ts';
import { serveWebPage } from './routes/web-page.ts';

export interface ServerState extends RelayServices {
  draining: boolean;
  /** Unix seconds when this instance started. */
  startedAt: number;
}

type Handler = (state: ServerState, request: HttpRequest, response: HttpResponse, url: URL, requestId: string, params: PathParams) => unknown;

/** Every route: path → method → handler. */
const routes: Record<string, Record<string, Handler>> = {
  '/v1/models': { GET: (state, _request, response, _url, id) => getModels(state, response, id, state.startedAt) },
  '/v1/chat/completions': { POST: (state, request, response, _url, id) => postChatCompletions(state, request, response, id) },
  '/v1/messages': { POST: (state, request, response, _url, id) => postMessages(state, request, response, id) },
  '/v1/responses': { POST: (state, request, response, _url, id) => postResponses(state, request, response, id) },
  '/v1/ui-message-stream': { POST: (state, request, response, _url, id) => postUIMessageStream(state, request, response, id) },
  '/v1/chat/text': {
    GET: (state, request, response, url, id) => getChatText(state, request, url, response, id),
    POST: (state, request, response, _url, id) => postChatText(state, request, response, id),
  },
  '/v1/chat/stream': {
    GET: (state, request, response, url, id) => getChatStream(state, request, url, response, id),
    POST: (state, request, response, url, id) => postChatStream(state, request, response, url, id),
  },
  '/v1/collections': { GET: (state, _request, response, _url, id) => getCollections(state, response, id) },
  '/healthz': { GET: (_state, _request, response) => getHealth(response) },
  '/readyz': { GET: (state, _request, response) => getReadiness(response, state.draining) },
  '/v1/stream-tokens': { POST: (state, request, response, url, id) => postStreamToken(state, request, response, url, id) },
};

/** Routes whose every error has their dialect's shape; the rest answer OpenAI's. */
const errorBodies: Record<string, (error: SluiceError) => unknown> = { '/v1/messages': anthropicErrorBody };

/** Routes whose paths hold `{param}` segments, tried in order when no exact path matched. */
const patternRoutes: { pattern: string; methods: Record<string, Handler> }[] = [
  {
    pattern: '/v1/streams/{id}',
    methods: {
      GET: (state, request, response, url, id, params) => getStream(state, state.draining, request, response, url, params.id!, id),
      DELETE: (state, _request, response, _url, id, params) => deleteStream(state, response, params.id!, id),
    },
  },
  {
    pattern: '/v1/ui-message-stream/{chatId}/stream',
    methods: {
      GET: (state, _request, response, _url, id, params) => getUIMessageStream(state, response, params.chatId!, id),
      DELETE: (state, _request, response, _url, id, params) => deleteUIMessageStream(state, response, params.chatId!, id),
    },
  },
  {
    pattern: '/v1/responses/{id}',
    methods: { GET: (state, _request, response, url, id, params) => getBackgroundResponse(state, response, url, params.id!, id) },
  },
  {
    pattern: '/v1/responses/{id}/cancel',
    methods: { POST: (state, _request, response, _url, id, params) => cancelBackgroundResponse(state, response, params.id!, id) },
  },
  {
    pattern: '/v1/collections/{name}',
    methods: {
      GET: (state, _request, response, _url, id, { name }) => getCollection(state, response, name!, id),
      DELETE: (state, _request, response, _url, id, { name }) => deleteCollection(state, response, name!, id),
    },
  },
  {
    pattern: '/v1/collections/{name}/documents',
    methods: {
      GET: (state, _request, response, url, id, { name }) => getDocuments(state, response, url, name!, id),
      POST: (state, request, response, _url, id, { name }) => postDocuments(state, request, response, name!, id),
    },
  },
  {
    pattern: '/v1/collections/{name}/documents/{id}',
    methods: { DELETE: (state, _request, response, _url, id, params) => deleteDocument(state, response, params.name!, params.id!, id) },
  },
];

/** The route for a path: its exact path or pattern, its handlers by method, and the pattern's parameters. */
function findRoute(pathname: string): { path: string; methods: Record<string, Handler> | undefined; params: PathParams } {
  const exact = routes[pathname];
  if (exact) return { path: pathname, methods: exact, params: {} };
  for (const { pattern, methods } of patternRoutes) {
    const params = matchPath(pattern, pathname);
    if (params) return { path: pattern, methods, params };
  }
  return { path: pathname, methods: undefined, params: {} };
}

/**
 * Served while draining: the probes, and `/v1/streams/{id}`, whose handlers decide for themselves (a
 * cancel must not wait for the drain; a resume is sent elsewhere). The admin surface is served before.
 */
const servedWhileDraining = new Set(['/healthz', '/readyz', '/v1/streams/{id}']);

/** Answered whatever the Host: a load balancer probes an instance by its address. */
const probePaths = new Set(['/healthz', '/readyz']);

/**
 * Dispatches one request. Anything a handler throws is normalized here, once: the client gets a JSON
 * error with the right status and never a stack trace; the log keeps the cause.
 */
export async function handleRequest(state: ServerState, request: HttpRequest, response: HttpResponse): Promise<void> {
  const requestId = requestIdOf(request);
  let route = '';
  try {
    const url = new URL(request.url ?? '/', 'http://sluice.invalid');
    const authority = authorityOf(request);
    if (!probePaths.has(url.pathname) && !isHostAllowed(authority, state.settings.allowedHosts)) {
      throw new SluiceError('forbidden', `Host ${JSON.stringify(authority ?? '')} is not one this server answers to (SLUICE_ALLOWED_HOSTS)`);
    }
    if (state.access.answerCors(request, response)) return;
    if (await serveAdminSurface(state, request, response, url, requestId, 'public')) return;
    if (serveWebPage(request, response, url.pathname)) return;
    const { path, methods, params } = findRoute(url.pathname);
    route = path;
    if (!methods) throw new SluiceError('not_found', `No route ${request.method} ${url.pathname}`);
    const handler = methods[request.method ?? ''];
    if (!handler) {
      const allowed = Object.keys(methods).join(', ');
      sendJsonError(response, new SluiceError('method_not_allowed', `Method ${request.method} is not allowed on ${url.pathname}; use ${allowed}`), { allow: allowed });
      return;
    }
    // Before anything reads the body or a store: an unauthenticated request learns nothing else.
    if (path.startsWith('/v1/')) await state.access.authenticate(request, response, url);
    if (state.draining && !servedWhileDraining.has(path)) {
      sendJsonError(response, new SluiceError('shutting_down', 'Sluice is shutting down; retry on another instance'), { connection: 'close' });
      return;
    }
    await handler(state, request, response, url, requestId, params);
  } catch (error) {
    sendFailure(state, response, requestId, error, errorBodies[route]);
  }
}
