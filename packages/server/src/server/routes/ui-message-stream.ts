import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import type { HubReader } from '../../pipeline/hub/stream-hub.ts';
import { uiMessageStreamDialect } from '../dialects/ai-sdk-ui/ui-message-egress.ts';
import { decodeUIMessageRequest, decodeUIResumeFields, isChatId } from '../dialects/ai-sdk-ui/ui-message-ingress.ts';
import type { StreamMeta } from '../dialects/egress-dialect.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { sendJson } from '../http/send-json.ts';
import { relayChat, type RelayServices } from '../relay/relay-chat.ts';
import type { ResumeServices } from '../relay/resume-stream.ts';
import { serveHubReader, type HubReaderFormat } from '../relay/serve-hub-reader.ts';

/**
 * `POST /v1/ui-message-stream`: what `useChat` from `@ai-sdk/react` posts and reads by default. Point its
 * transport here: `new DefaultChatTransport({ api: 'https://sluice.example/v1/ui-message-stream' })`.
 * With `body: { resumable: true }` the stream goes through the stream hub under the chat's id, so that
 * `useChat({ resume: true })` picks it up after a reload (`GET .../{chatId}/stream`).
 */
export async function postUIMessageStream(services: RelayServices, request: HttpRequest, response: HttpResponse, requestId: string): Promise<void> {
  const body = await readJsonBody(request, services.settings.maxBodyBytes);
  const chatRequest = decodeUIMessageRequest(body, services.settings.defaultModel);
  const resume = decodeUIResumeFields(body);
  await relayChat(services, {
    route: '/v1/ui-message-stream',
    requestId,
    chatRequest,
    response,
    output:
      resume === undefined
        ? { kind: 'stream', dialect: uiMessageStreamDialect }
        : { kind: 'resumable', activeKey: activeKeyOf(services, response, resume.chatId), serveFirstReader: (reader) => serveUIReader(services, response, reader, requestId) },
  });
}

/**
 * `GET /v1/ui-message-stream/{chatId}/stream`: what `DefaultChatTransport.reconnectToStream` calls when
 * `useChat({ resume: true })` mounts. The chat's unfinished stream from its start (the transport replays
 * it: `resumeStreamIsReplay`), then live; 204 when the chat has none, which tells `useChat` there is
 * nothing to resume.
 */
export async function getUIMessageStream(services: ResumeServices, response: HttpResponse, chatId: string, requestId: string): Promise<void> {
  const streamId = isChatId(chatId) ? await services.hub.findActive(activeKeyOf(services, response, chatId)) : undefined;
  const reader = streamId === undefined ? undefined : await openUnlessGone(services, streamId);
  if (reader === undefined || reader.complete) {
    reader?.close();
    response.writeHead(204, { 'x-request-id': requestId, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  await serveUIReader(services, response, reader, requestId);
}

/**
 * `DELETE /v1/ui-message-stream/{chatId}/stream`: a stop, not a disconnect. The AI SDK's `stop()` only
 * closes its connection, which a resumable stream outlives for the grace period; call this beside it to
 * stop the model at once, on any instance. The partial answer stays readable until the stream expires.
 */
export async function deleteUIMessageStream(services: ResumeServices, response: HttpResponse, chatId: string, requestId: string): Promise<void> {
  const streamId = isChatId(chatId) ? await services.hub.findActive(activeKeyOf(services, response, chatId)) : undefined;
  const status = streamId === undefined ? 'not_found' : await services.hub.cancel(streamId);
  if (status === 'not_found') throw new SluiceError('not_found', `No stream is generating for chat ${JSON.stringify(chatId.slice(0, 80))}`);
  sendJson(response, status === 'cancelling' ? 202 : 200, { chat_id: chatId, stream_id: streamId, status }, { 'x-request-id': requestId });
}

/**
 * The hub's name for a chat's active stream. A chat id is the client's to choose, so with client keys it
 * is one per key: another key's chat of the same id is a chat it has nothing active in (204), never a way
 * into that stream.
 */
function activeKeyOf(services: Pick<ResumeServices, 'access'>, response: HttpResponse, chatId: string): string {
  const key = services.access.keyOf(response);
  return key === undefined ? chatId : `${key.id}/${chatId}`;
}

function serveUIReader(services: ResumeServices, response: HttpResponse, reader: HubReader, requestId: string): Promise<unknown> {
  return serveHubReader(services, response, reader, { requestId, fromStart: true, format: uiFormat(reader.meta) });
}

function uiFormat(meta: StreamMeta): HubReaderFormat {
  // The UI message stream reads nothing of the request but the meta.
  const encoder = uiMessageStreamDialect.createEncoder(meta, { model: meta.model, messages: [], parameters: {} });
  return {
    headers: uiMessageStreamDialect.headers,
    opening: () => encoder.start(),
    encode: (entries) => encoder.encode(entries.map((entry) => entry.part)),
    failure: (error) => encoder.encode([{ type: 'error', code: error.code, message: error.message, retryable: error.retryable }]),
  };
}

/** A stream that expired between the lookup and the open has nothing to resume either. */
async function openUnlessGone(services: ResumeServices, streamId: string): Promise<HubReader | undefined> {
  try {
    return await services.hub.open(streamId, 0);
  } catch (error) {
    if (error instanceof SluiceError && (error.code === 'not_found' || error.code === 'gone')) return undefined;
    throw error;
  }
}
