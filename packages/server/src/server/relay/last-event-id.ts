import type { HttpRequest } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';

/** A position in a stream: the events after `sequence` are the ones still to send. */
export interface StreamPosition {
  streamId: string;
  sequence: number;
}

const streamIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
const eventIdPattern = /^([A-Za-z0-9_-]{1,64}):(\d{1,15})$/;

export function isStreamId(value: string): boolean {
  return streamIdPattern.test(value);
}

/**
 * The position a client resumes from: the `Last-Event-ID` header (what `EventSource` sends when it
 * reconnects), else the `last_event_id` query parameter (for clients that cannot set headers). The
 * header wins: on a reconnect it is newer than a URL the page built earlier. Undefined when neither is
 * given; a malformed id is a 400 naming it.
 */
export function readLastEventId(request: HttpRequest, url: URL): StreamPosition | undefined {
  const header = request.headers['last-event-id'];
  const value = typeof header === 'string' && header !== '' ? header : url.searchParams.get('last_event_id');
  if (value === null || value === '') return undefined;
  const match = eventIdPattern.exec(value.trim());
  if (!match) {
    throw new SluiceError('bad_request', `Last-Event-ID ${JSON.stringify(value.slice(0, 80))} is not an event id of the form <stream id>:<sequence>`, {
      param: 'Last-Event-ID',
    });
  }
  return { streamId: match[1]!, sequence: Number(match[2]) };
}
