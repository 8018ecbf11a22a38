import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { sendJson } from '../http/send-json.ts';
import { isStreamId, readLastEventId } from '../relay/last-event-id.ts';
import { resumeStream, type ResumeServices } from '../relay/resume-stream.ts';

const route = '/v1/streams/{id}';

/**
 * `GET /v1/streams/{id}`: the events of a resumable stream after `Last-Event-ID` (header, or the
 * `last_event_id` query parameter), or all of them from `meta` without one, then the live ones. Several
 * connections may read one stream. While this instance drains and the hub is shared, a resume is sent
 * to another instance (503, retryable).
 */
export async function getStream(
  services: ResumeServices,
  draining: boolean,
  request: HttpRequest,
  response: HttpResponse,
  url: URL,
  pathId: string,
  requestId: string,
): Promise<void> {
  const streamId = checkStreamId(pathId);
  const position = readLastEventId(request, url);
  if (position !== undefined && position.streamId !== streamId) {
    throw new SluiceError('bad_request', `Last-Event-ID belongs to stream ${position.streamId}, not ${streamId}`, { param: 'Last-Event-ID' });
  }
  if (draining && services.hub.shared) {
    throw new SluiceError('shutting_down', 'This instance is shutting down; resume on another instance');
  }
  await resumeStream(services, response, { streamId, sequence: position?.sequence ?? 0, fromStart: position === undefined }, requestId, route);
}

/**
 * `DELETE /v1/streams/{id}`: stops a resumable stream at once, on whichever instance generates it, and
 * logs the request with what it found.
 * 200 `cancelled` when it stopped here (or its generating instance was gone), 202 `cancelling` when the
 * instance generating it has been told, 200 `finished` when it had already ended, 404 when unknown.
 * Served while draining too: a cancel must not wait for the drain.
 */
export async function deleteStream(services: ResumeServices, response: HttpResponse, pathId: string, requestId: string): Promise<void> {
  const streamId = checkStreamId(pathId);
  // With client keys, only the key that started a stream may stop it; another key gets the 404 of an unknown stream.
  if (services.access.keyOf(response) !== undefined) {
    const meta = await services.hub.meta(streamId);
    if (meta !== undefined && !services.access.mayUseStream(response, meta)) throw unknown(streamId);
  }
  const status = await services.hub.cancel(streamId);
  services.logger.info({ request_id: requestId, stream_id: streamId, route, status }, 'stream cancel requested');
  if (status === 'not_found') throw unknown(streamId);
  sendJson(response, status === 'cancelling' ? 202 : 200, { stream_id: streamId, status }, { 'x-request-id': requestId });
}

function checkStreamId(segment: string): string {
  if (!isStreamId(segment)) throw unknown(segment);
  return segment;
}

function unknown(streamId: string): SluiceError {
  return new SluiceError('not_found', `No stream ${JSON.stringify(streamId.slice(0, 80))}: it never existed or it expired`);
}
