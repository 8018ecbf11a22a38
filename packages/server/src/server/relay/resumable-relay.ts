import type { HttpResponse } from '../http/http-types.ts';
import { StreamAbort } from '../../pipeline/stream-abort.ts';
import type { HubReader, HubStopReason, StreamHub } from '../../pipeline/hub/stream-hub.ts';
import type { ChatRequest, StreamMeta, StreamPart } from '@sluice/protocol';
import type { ClientConnection } from '../writer/client-connection.ts';
import { serveHubReader, type HubReaderServices } from './serve-hub-reader.ts';

export interface ResumableRelayServices extends HubReaderServices {
  hub: StreamHub;
}

/**
 * The generation of a resumable stream, once its upstream answered: its parts go to the hub instead of
 * a socket, as fast as the upstream sends them (the hub's bounded log is the buffer), and the
 * connection that asked for it becomes its first reader, like any connection that resumes it later.
 *
 * From here the stream outlives its connection: the client leaving only closes that reader, and the
 * hub stops the generation when it is cancelled (`DELETE /v1/streams/{id}`, on any instance) or when no
 * reader came back within the grace period. Resolves once every part is stored and the first reader
 * is done.
 *
 * With `takeoverRequest` (a route that continues failures) a shared hub keeps the request, so that
 * another instance can continue the generation if this one dies. A `background` stream has no grace
 * period: it generates to its end whether read or not. `serveFirstReader` serves the connection that
 * asked in another form than Sluice events (a background Responses stream, or its JSON object at once).
 */
export async function relayResumable(
  services: ResumableRelayServices,
  response: HttpResponse,
  meta: StreamMeta,
  parts: AsyncIterable<StreamPart[]>,
  connection: ClientConnection,
  abort: (reason: StreamAbort) => void,
  options: ResumableOptions = {},
): Promise<void> {
  const { takeoverRequest, background, activeKey } = options;
  const handlers = { stop: (reason: HubStopReason) => abort(stopAbort(reason, services.settings.resumeGraceMs)) };
  const producer = await services.hub.create(meta, handlers, { takeoverRequest, background, activeKey });
  // Until now the client leaving aborted the stream (it had no stream id to resume with); the response
  // is a hub reader from here on, watched by that reader's own connection.
  const left = connection.closed;
  connection[Symbol.dispose]();
  const producing = (async () => {
    for await (const batch of parts) for (const part of batch) producer.append(part);
    await producer.settled();
  })();
  const serveFirstReader = options.serveFirstReader ?? ((reader) => serveHubReader(services, response, reader, { requestId: meta.requestId, fromStart: true }));
  const reading = left ? undefined : serveFirstReader(producer.openReader(0));
  await Promise.all([producing, reading]);
}

export interface ResumableOptions {
  takeoverRequest?: ChatRequest;
  background?: boolean;
  activeKey?: string;
  serveFirstReader?: (reader: HubReader) => Promise<unknown>;
}

export function stopAbort(reason: HubStopReason, graceMs: number): StreamAbort {
  return reason === 'cancel_requested'
    ? new StreamAbort('cancel_requested', 'The stream was cancelled')
    : new StreamAbort('client_closed', `The client left and no reader came back within ${graceMs} ms`);
}
