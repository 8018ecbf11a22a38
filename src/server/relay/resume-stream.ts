import type { ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.ts';
import type { StreamPosition } from './last-event-id.ts';
import type { ResumableRelayServices } from './resumable-relay.ts';
import { serveHubReader } from './serve-hub-reader.ts';

export interface ResumeServices extends ResumableRelayServices {
  logger: Logger;
}

/**
 * Serves a connection that resumes (or joins) a resumable stream: the events after `position`, then
 * the live ones. Never starts a generation. An unknown or expired stream is a 404 and events no longer
 * kept a 410 (JSON, thrown to the route table); a stream that already ended at that position is a 204,
 * which tells an EventSource to stop reconnecting. Logs one line per resumed connection.
 */
export async function resumeStream(
  services: ResumeServices,
  response: ServerResponse,
  position: StreamPosition & { fromStart: boolean },
  requestId: string,
  route: string,
): Promise<void> {
  const startedAt = performance.now();
  const reader = await services.hub.open(position.streamId, position.sequence);
  if (reader.complete) {
    reader.close();
    response.writeHead(204, { 'x-request-id': requestId, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  const outcome = await serveHubReader(services, response, reader, { requestId, fromStart: position.fromStart });
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
