import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { createChatCompletionCollector } from '../dialects/openai-chat/openai-chat-completion.ts';
import { openaiChatDialect } from '../dialects/openai-chat/openai-chat-egress.ts';
import { decodeChatCompletionsRequest } from '../dialects/openai-chat/openai-chat-ingress.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { relayChat, type RelayServices } from '../relay/relay-chat.ts';
import { planRetrieval } from './plan-retrieval.ts';

/** `POST /v1/chat/completions`: OpenAI-compatible, streaming or not, with Sluice's `retrieval` as an opt-in extension. */
export async function postChatCompletions(services: RelayServices, request: HttpRequest, response: HttpResponse, requestId: string): Promise<void> {
  const body = await readJsonBody(request, services.settings.maxBodyBytes);
  const { chatRequest, stream, retrieval } = decodeChatCompletionsRequest(body);
  const plan = await planRetrieval(services, chatRequest, retrieval);
  await relayChat(services, {
    route: '/v1/chat/completions',
    requestId,
    chatRequest,
    response,
    retrieval: plan,
    output: stream ? { kind: 'stream', dialect: openaiChatDialect } : { kind: 'collect', createCollector: createChatCompletionCollector },
  });
}
