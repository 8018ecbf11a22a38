import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { sluiceEventsDialect } from '../dialects/sluice/sluice-egress.ts';
import { decodeSluiceStreamBody, decodeSluiceStreamQuery } from '../dialects/sluice/sluice-ingress.ts';
import { checkCrossSiteGet } from '../http/check-cross-site-get.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { readLastEventId } from '../relay/last-event-id.ts';
import { relayChat, type RelayRequest, type RelayServices } from '../relay/relay-chat.ts';
import { resumeStream } from '../relay/resume-stream.ts';
import { planRetrieval } from './plan-retrieval.ts';

const route = '/v1/chat/stream';

/**
 * `POST /v1/chat/stream`: Sluice events for fetch-stream clients; `"resumable": true` keeps the stream
 * alive through a disconnect. A request carrying `Last-Event-ID` resumes instead: it never starts a
 * second generation.
 */
export async function postChatStream(services: RelayServices, request: HttpRequest, response: HttpResponse, url: URL, requestId: string): Promise<void> {
  const position = readLastEventId(request, url);
  if (position !== undefined) return resumeStream(services, response, { ...position, fromStart: false }, requestId, route);
  const body = await readJsonBody(request, services.settings.maxBodyBytes);
  const { chatRequest, resumable, retrieval } = decodeSluiceStreamBody(body, services.settings.defaultModel);
  const plan = await planRetrieval(services, chatRequest, retrieval);
  await relayChat(services, { route, requestId, chatRequest, response, output: outputOf(resumable), retrieval: plan });
}

/**
 * `GET /v1/chat/stream?prompt=...&model=...`: Sluice events for a browser `EventSource`, resumable
 * unless `resumable=0`. The EventSource's own reconnect (`Last-Event-ID` header, same URL) resumes the
 * stream; it never starts a second generation.
 */
export async function getChatStream(services: RelayServices, request: HttpRequest, url: URL, response: HttpResponse, requestId: string): Promise<void> {
  const position = readLastEventId(request, url);
  if (position !== undefined) return resumeStream(services, response, { ...position, fromStart: false }, requestId, route);
  checkCrossSiteGet(request, services.settings.corsOrigins);
  const { chatRequest, resumable, retrieval } = decodeSluiceStreamQuery(url.searchParams, services.settings.defaultModel);
  const plan = await planRetrieval(services, chatRequest, retrieval);
  await relayChat(services, { route, requestId, chatRequest, response, output: outputOf(resumable), retrieval: plan });
}

function outputOf(resumable: boolean): RelayRequest['output'] {
  return resumable ? { kind: 'resumable' } : { kind: 'stream', dialect: sluiceEventsDialect };
}
