import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { createResponsesCollector, openaiResponsesDialect } from '../dialects/openai-responses/responses-egress.ts';
import { decodeResponsesRequest } from '../dialects/openai-responses/responses-ingress.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { relayChat, type RelayServices } from '../relay/relay-chat.ts';
import { serveBackgroundCreator } from './responses-background.ts';

/**
 * `POST /v1/responses`: the OpenAI Responses API, streaming or not, from any provider; with
 * `background: true` it generates through the stream hub (see responses-background.ts).
 */
export async function postResponses(services: RelayServices, request: HttpRequest, response: HttpResponse, requestId: string): Promise<void> {
  const body = await readJsonBody(request, services.settings.maxBodyBytes);
  const { chatRequest, stream, background } = decodeResponsesRequest(body);
  await relayChat(services, {
    route: '/v1/responses',
    requestId,
    chatRequest,
    response,
    output: background
      ? { kind: 'resumable', background: true, serveFirstReader: serveBackgroundCreator(services, response, requestId, stream) }
      : stream
        ? { kind: 'stream', dialect: openaiResponsesDialect }
        : { kind: 'collect', createCollector: createResponsesCollector },
  });
}
