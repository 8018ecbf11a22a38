/**
 * OpenAI Responses background mode (https://platform.openai.com/docs/guides/background): a response
 * created with `background: true` generates through the stream hub with no reader needed, so that it can
 * be polled (`GET /v1/responses/{id}`), streamed from any event (`?stream=true&starting_after=N`, what
 * the `openai` SDK's `responses.retrieve(id, { stream: true, starting_after })` sends) or cancelled
 * (`POST /v1/responses/{id}/cancel`), on any instance when the hub is shared (Redis).
 *
 * Event numbers are the same on every read: each reader encodes the stream's parts one by one from its
 * first, with the writer that numbered them live, and leaves out the events up to `starting_after`.
 */

import type { HttpResponse } from '../http/http-types.ts';
import { SluiceError, type StreamMeta, type StreamPart } from '@sluice/protocol';
import type { HubReader } from '../../pipeline/hub/stream-hub.ts';
import { createResponsesWriter } from '../dialects/openai-responses/responses-egress.ts';
import { sendJson } from '../http/send-json.ts';
import { isStreamId } from '../relay/last-event-id.ts';
import type { ResumeServices } from '../relay/resume-stream.ts';
import { serveHubReader, type HubReaderFormat } from '../relay/serve-hub-reader.ts';

const idPrefix = 'resp_';

/** How the connection that created a background response is answered: its events, or its object at once. */
export function serveBackgroundCreator(services: ResumeServices, response: HttpResponse, requestId: string, stream: boolean) {
  return async (reader: HubReader): Promise<void> => {
    if (stream) {
      await serveHubReader(services, response, reader, { requestId, fromStart: true, format: responsesFormat(reader.meta, -1) });
      return;
    }
    reader.close();
    sendJson(response, 200, responseObject(reader.meta, []), { 'x-request-id': requestId });
  };
}

/** `GET /v1/responses/{id}`: the response object so far, or with `stream=true` its events after `starting_after`. */
export async function getBackgroundResponse(services: ResumeServices, response: HttpResponse, url: URL, pathId: string, requestId: string): Promise<void> {
  const streamId = streamIdOf(pathId);
  if (url.searchParams.get('stream') !== 'true') {
    const { meta, entries } = await unlessUnknown(services.hub.read(streamId), pathId);
    if (!services.access.mayUseStream(response, meta)) throw unknownResponse(pathId);
    sendJson(response, 200, responseObject(meta, entries.map((entry) => entry.part)), { 'x-request-id': requestId });
    return;
  }
  const startingAfter = startingAfterOf(url);
  const reader = await unlessUnknown(services.hub.open(streamId, 0), pathId);
  if (!services.access.mayUseStream(response, reader.meta)) {
    reader.close();
    throw unknownResponse(pathId);
  }
  await serveHubReader(services, response, reader, { requestId, fromStart: true, format: responsesFormat(reader.meta, startingAfter) });
}

/**
 * `POST /v1/responses/{id}/cancel`: stops the generation at once, wherever it runs, and answers the
 * response object with the partial answer, `status: "cancelled"` (or its final status, if it had ended).
 */
export async function cancelBackgroundResponse(services: ResumeServices, response: HttpResponse, pathId: string, requestId: string): Promise<void> {
  const streamId = streamIdOf(pathId);
  // With client keys, another key's response is one that does not exist.
  if (services.access.keyOf(response) !== undefined) {
    const meta = await services.hub.meta(streamId);
    if (meta !== undefined && !services.access.mayUseStream(response, meta)) throw unknownResponse(pathId);
  }
  const outcome = await services.hub.cancel(streamId);
  if (outcome === 'not_found') throw unknownResponse(pathId);
  // The generation ends within moments of the cancel: read to its last entry for the object.
  const reader = await services.hub.open(streamId, 0);
  const parts: StreamPart[] = [];
  try {
    for (let entries = await reader.next(); entries !== undefined; entries = await reader.next()) for (const entry of entries) parts.push(entry.part);
  } finally {
    reader.close();
  }
  sendJson(response, 200, responseObject(reader.meta, parts), { 'x-request-id': requestId });
}

function responsesFormat(meta: StreamMeta, startingAfter: number): HubReaderFormat {
  const writer = createResponsesWriter(meta, { background: true, startingAfter });
  return {
    opening: () => writer.start(),
    encode: (entries) => writer.encode(entries.map((entry) => entry.part)),
    failure: (error) => writer.encode([{ type: 'error', code: error.code, message: error.message, retryable: error.retryable }]),
  };
}

function responseObject(meta: StreamMeta, parts: StreamPart[]): unknown {
  const writer = createResponsesWriter(meta, { background: true });
  writer.encode(parts);
  return writer.currentResponse();
}

function streamIdOf(pathId: string): string {
  const streamId = pathId.startsWith(idPrefix) ? pathId.slice(idPrefix.length) : '';
  if (!isStreamId(streamId)) throw unknownResponse(pathId);
  return streamId;
}

function startingAfterOf(url: URL): number {
  const value = url.searchParams.get('starting_after');
  if (value === null) return -1;
  if (!/^\d{1,15}$/.test(value)) {
    throw new SluiceError('bad_request', `Invalid query parameter "starting_after": expected an event's sequence_number, got ${JSON.stringify(value.slice(0, 40))}`, {
      param: 'starting_after',
    });
  }
  return Number(value);
}

/** The hub's "no such stream", said of the response the client named, as for any other unknown response. */
async function unlessUnknown<T>(lookup: Promise<T>, pathId: string): Promise<T> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'not_found') throw unknownResponse(pathId);
    throw error;
  }
}

function unknownResponse(pathId: string): SluiceError {
  return new SluiceError('not_found', `No response ${JSON.stringify(pathId.slice(0, 80))}: only background responses are kept, and only while their stream is`);
}
