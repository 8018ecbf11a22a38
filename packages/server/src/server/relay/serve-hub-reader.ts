import type { HttpResponse } from '../http/http-types.ts';
import type { HubEntry } from '../../pipeline/hub/hub-entry.ts';
import type { HubReader } from '../../pipeline/hub/stream-hub.ts';
import { type DoneEvent, encodeSseEvent, encodeSseRetry, type ErrorEvent, normalizeError, type SluiceError } from '@sluice/protocol';
import type { Settings } from '../config/settings.ts';
import { createPartialObjectTracker } from '../dialects/sluice/partial-object-tracker.ts';
import { encodeEntries, encodeMetaEvent, sluiceEventsDialect } from '../dialects/sluice/sluice-egress.ts';
import { writeEventStreamHead } from '../http/event-stream-head.ts';
import { ClientConnection } from '../writer/client-connection.ts';
import type { StreamRegistry } from './stream-registry.ts';

export interface HubReaderServices {
  settings: Settings;
  streams: StreamRegistry;
}

/**
 * How a reader's connection ended: the stream's last event was sent (`completed`), the client left or
 * stalled, the instance sent it elsewhere to drain (`drained`), or the reader failed (fell behind the
 * log, lost the shared store) with the error it was sent.
 */
export type ReaderOutcome = { kind: 'completed' | 'client_closed' | 'send_timeout' | 'drained' } | { kind: 'failed'; error: SluiceError };

/**
 * How a reader's connection writes the stream: its opening (after the headers), the events of numbered
 * entries, and a reader's own failure. The Sluice dialect unless a route asks for another.
 */
export interface HubReaderFormat {
  /** Response headers the format needs besides the event-stream ones (a protocol version, say). */
  headers?: Readonly<Record<string, string>>;
  opening(): string;
  encode(entries: readonly HubEntry[]): string;
  failure(error: SluiceError): string;
}

/**
 * Writes one connection's view of a resumable stream: `retry:` (the reconnect delay for EventSource),
 * `meta` when it reads from the start, then every entry after its position as the hub has them, until
 * the terminal event. Each connection has its own writer: it pulls the next entries only once the
 * socket took the last ones (what piled up meanwhile leaves as one write, text merged), heartbeats
 * when quiet, and a send timeout; a connection that goes away only closes its reader, the generation
 * goes on. The reader is closed here, whatever happens.
 *
 * A reader that fails gets an `error` and a `done` without ids: they describe this connection, not
 * the stream, and must not move its Last-Event-ID.
 *
 * A structured-output stream's `object` events are parsed from the whole answer, so its reader is
 * opened from the start and the entries up to `skipThrough` (what the client already has) only feed
 * the parse. Another `format` (a background Responses stream) writes its own events instead.
 */
export async function serveHubReader(
  services: HubReaderServices,
  response: HttpResponse,
  reader: HubReader,
  options: { requestId: string; fromStart: boolean; skipThrough?: number; objects?: boolean; format?: HubReaderFormat },
): Promise<ReaderOutcome> {
  const { settings } = services;
  let outcome: ReaderOutcome = { kind: 'completed' };
  const end = (ending: ReaderOutcome): void => {
    if (outcome.kind === 'completed') outcome = ending;
    reader.close();
  };
  using connection = new ClientConnection(response, {
    sendTimeoutMs: settings.sendTimeoutMs,
    flushMs: settings.flushMs,
    onGone: (reason) => end({ kind: reason.reason === 'send_timeout' ? 'send_timeout' : 'client_closed' }),
  });
  using _registration = services.streams.registerReader(() => {
    connection.write(encodeSseRetry(settings.sseRetryMs));
    end({ kind: 'drained' });
  });
  try {
    if (connection.closed) {
      end({ kind: 'client_closed' });
      return outcome;
    }
    const format = options.format ?? sluiceFormat(reader, settings.sseRetryMs, options);
    writeEventStreamHead(response, sluiceEventsDialect.contentType, options.requestId, format.headers);
    if (!connection.write(format.opening()) && !(await connection.waitForDrain())) return outcome;
    connection.startHeartbeat(sluiceEventsDialect.heartbeat!, settings.heartbeatMs);
    while (true) {
      let entries;
      try {
        entries = await reader.next();
      } catch (error) {
        const failure = normalizeError(error);
        end({ kind: 'failed', error: failure });
        connection.write(format.failure(failure));
        break;
      }
      if (entries === undefined || connection.closed) break;
      const bytes = format.encode(entries);
      if (bytes !== '' && !connection.write(bytes) && !(await connection.waitForDrain())) break;
    }
    connection.end();
    return outcome;
  } finally {
    reader.close();
  }
}

/**
 * The Sluice dialect: `retry:` (the reconnect delay for EventSource), `meta` when reading from the start,
 * then the entries' events. A structured-output stream's entries up to `skipThrough` (what the client
 * already has) only feed the parse of its `object` events.
 */
function sluiceFormat(reader: HubReader, sseRetryMs: number, options: { fromStart: boolean; skipThrough?: number; objects?: boolean }): HubReaderFormat {
  const { streamId } = reader.meta;
  const objects = (options.objects ?? reader.meta.structuredOutput) ? createPartialObjectTracker() : undefined;
  const skipThrough = options.skipThrough ?? 0;
  return {
    opening: () => encodeSseRetry(sseRetryMs) + (options.fromStart ? encodeMetaEvent(reader.meta) : ''),
    encode(entries) {
      let unsent = 0;
      for (; unsent < entries.length && entries[unsent]!.sequence <= skipThrough; unsent += 1) {
        const { part } = entries[unsent]!;
        if (part.type === 'text-delta') objects?.skip(part.text);
      }
      return encodeEntries(streamId, unsent === 0 ? entries : entries.slice(unsent), objects);
    },
    failure: encodeReaderFailure,
  };
}

function encodeReaderFailure(failure: SluiceError): string {
  const error: ErrorEvent = { type: 'error', code: failure.code, message: failure.message, retryable: failure.retryable };
  const done: DoneEvent = { type: 'done', finish_reason: 'error' };
  return encodeSseEvent('error', JSON.stringify(error)) + encodeSseEvent('done', JSON.stringify(done));
}
