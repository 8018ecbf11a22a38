import type { IncomingMessage, ServerResponse } from 'node:http';
import { uiMessageStreamDialect } from '../dialects/ai-sdk-ui/ui-message-egress.ts';
import { decodeUIMessageRequest } from '../dialects/ai-sdk-ui/ui-message-ingress.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { relayChat, type RelayServices } from '../relay/relay-chat.ts';

/**
 * `POST /v1/ui-message-stream`: what `useChat` from `@ai-sdk/react` posts and reads by default. Point its
 * transport here: `new DefaultChatTransport({ api: 'https://sluice.example/v1/ui-message-stream' })`.
 */
export async function postUIMessageStream(services: RelayServices, request: IncomingMessage, response: ServerResponse, requestId: string): Promise<void> {
  const chatRequest = decodeUIMessageRequest(await readJsonBody(request, services.settings.maxBodyBytes), services.settings.defaultModel);
  await relayChat(services, { route: '/v1/ui-message-stream', requestId, chatRequest, response, output: { kind: 'stream', dialect: uiMessageStreamDialect } });
}
