import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { plainTextDialect } from '../dialects/plain-text/plain-text-egress.ts';
import { decodeSluiceStreamBody, decodeSluiceStreamQuery } from '../dialects/sluice/sluice-ingress.ts';
import { checkCrossSiteGet } from '../http/check-cross-site-get.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { relayChat, type RelayServices } from '../relay/relay-chat.ts';

const route = '/v1/chat/text';

/** `POST /v1/chat/text`: the Sluice request body (`prompt` or `messages`, `model`, sampling), the answer as plain text. */
export async function postChatText(services: RelayServices, request: HttpRequest, response: HttpResponse, requestId: string): Promise<void> {
  const { chatRequest, resumable, retrieval } = decodeSluiceStreamBody(await readJsonBody(request, services.settings.maxBodyBytes), services.settings.defaultModel);
  if (resumable) throw notResumable();
  if (retrieval !== undefined) throw noSources('retrieval');
  await relayChat(services, { route, requestId, chatRequest, response, output: { kind: 'stream', dialect: plainTextDialect } });
}

/** `GET /v1/chat/text?prompt=...&model=...`: the same, for `curl -N` and a browser address bar. */
export async function getChatText(services: RelayServices, request: HttpRequest, url: URL, response: HttpResponse, requestId: string): Promise<void> {
  checkCrossSiteGet(request, services.settings.corsOrigins);
  if (url.searchParams.has('resumable')) throw notResumable();
  if (url.searchParams.has('collection')) throw noSources('collection');
  const { chatRequest } = decodeSluiceStreamQuery(url.searchParams, services.settings.defaultModel);
  await relayChat(services, { route, requestId, chatRequest, response, output: { kind: 'stream', dialect: plainTextDialect } });
}

/** A grounded answer without its sources would cite [1] with nothing to point at. */
function noSources(param: string): SluiceError {
  return new SluiceError('bad_request', `Invalid field "${param}": a plain text stream cannot carry the sources of a grounded answer; use /v1/chat/stream`, { param });
}

function notResumable(): SluiceError {
  return new SluiceError('bad_request', 'Invalid field "resumable": a plain text stream has no event ids to resume from; use /v1/chat/stream', { param: 'resumable' });
}
