import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { normalizeError } from '@sluice/protocol';
import { anthropicErrorBody } from '../dialects/anthropic-messages/anthropic-error.ts';
import { createAnthropicMessageCollector } from '../dialects/anthropic-messages/anthropic-message-collector.ts';
import { anthropicMessagesDialect } from '../dialects/anthropic-messages/anthropic-messages-egress.ts';
import { decodeAnthropicMessagesRequest } from '../dialects/anthropic-messages/anthropic-messages-ingress.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { sendJsonError } from '../http/send-json.ts';
import { relayChat, type RelayServices } from '../relay/relay-chat.ts';

/**
 * `POST /v1/messages`: Anthropic Messages, streaming or not, from any provider. Every error has
 * Anthropic's shape, a bad request included, so that Anthropic's SDKs raise their own error types.
 */
export async function postMessages(services: RelayServices, request: HttpRequest, response: HttpResponse, requestId: string): Promise<void> {
  let decoded;
  try {
    decoded = decodeAnthropicMessagesRequest(await readJsonBody(request, services.settings.maxBodyBytes));
  } catch (error) {
    const failure = normalizeError(error);
    if (failure.code === 'internal') throw error;
    sendJsonError(response, failure, { 'x-request-id': requestId }, anthropicErrorBody(failure));
    return;
  }
  await relayChat(services, {
    route: '/v1/messages',
    requestId,
    chatRequest: decoded.chatRequest,
    response,
    output: decoded.stream ? { kind: 'stream', dialect: anthropicMessagesDialect } : { kind: 'collect', createCollector: createAnthropicMessageCollector },
    errorBody: anthropicErrorBody,
  });
}
