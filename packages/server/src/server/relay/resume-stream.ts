import type { HttpResponse } from '../http/http-types.ts';
import { unknownStream } from '../../pipeline/hub/hub-errors.ts';
import type { HubReader } from '../../pipeline/hub/stream-hub.ts';
import { SluiceError } from '@sluice/protocol';
import type { AccessControl } from '../access/access-control.ts';
import type { Logger } from '../observability/logger.ts';
import type { StreamPosition } from './last-event-id.ts';
import type { ResumableRelayServices } from './resumable-relay.ts';
import { serveHubReader } from './serve-hub-reader.ts';

export interface ResumeServices extends ResumableRelayServices {
  logger: Logger;
  access: AccessControl;
}

/**
 * Serves a connection that resumes (or joins) a resumable stream: the events after `position`, then
 * the live ones. Never starts a generation. An unknown or expired stream is a 404 and events no longer
 * kept a 410 (JSON, thrown to the route table); a stream that already ended at that position is a 204,
 * which tells an EventSource to stop reconnecting. Logs one line per resumed connection.
 */
export async function resumeStream(
  services: ResumeServices,
  response: HttpResponse,
  position: StreamPosition & { fromStart: boolean },
  requestId: string,
  route: string,
): Promise<void> {
  const startedAt = performance.now();
  let reader: HubReader = await services.hub.open(position.streamId, position.sequence);
  // Another key's stream is answered as one that does not exist: its id must not tell it is there.
  if (!services.access.mayUseStream(response, reader.meta)) {
    reader.close();
    throw unknownStream(position.streamId);
  }
  if (reader.complete) {
    reader.close();
    response.writeHead(204, { 'x-request-id': requestId, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  let objects = reader.meta.structuredOutput === true;
  if (objects && position.sequence > 0) {
    const fromStart = await openFromStart(services, position.streamId, requestId).catch((error: unknown) => {
      reader.close();
      throw error;
    });
    objects = fromStart !== undefined;
    if (fromStart) {
      reader.close();
      reader = fromStart;
    }
  }
  const outcome = await serveHubReader(services, response, reader, { requestId, fromStart: position.fromStart, skipThrough: position.sequence, objects });
  services.logger.info(
    {
      request_id: requestId,
      stream_id: position.streamId,
      route,
      after_sequence: position.sequence,
      outcome: outcome.kind,
      error_code: outcome.kind === 'failed' ? outcome.error.code : undefined,
      duration_ms: Math.round(performance.now() - startedAt),
    },
    'stream reader ended',
  );
}

/**
 * A structured-output stream's reader from its first entry, so that its `object` events parse the whole
 * answer; undefined when the log no longer starts at the beginning (an answer longer than the log's
 * bound): that reader still gets every token, only without `object` events.
 */
async function openFromStart(services: ResumeServices, streamId: string, requestId: string): Promise<HubReader | undefined> {
  try {
    return await services.hub.open(streamId, 0);
  } catch (error) {
    if (!(error instanceof SluiceError) || error.code !== 'gone') throw error;
    services.logger.warn({ request_id: requestId, stream_id: streamId }, 'the start of a structured answer is no longer kept: this reader gets no object events');
    return undefined;
  }
}
