import type { EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';
import { endAtTerminal, type StreamPart } from '../protocol/stream-part.ts';
import { readSseEvents } from './read-sse-events.ts';

/** How one vendor's event stream becomes parts: the pure per-event mapping and what an early end means. */
export interface SseStreamMapping {
  /** True for the event after which the upstream sends nothing more (its body is then drained for reuse). */
  isFinal(message: EventSourceMessage): boolean;
  /** Appends the parts of one event; throws a SluiceError on an event that cannot be read. */
  mapEvent(message: EventSourceMessage, parts: StreamPart[]): void;
  /** Called when the body ended before a terminal part: appends what is left, or throws when the stream was cut. */
  mapEnd(parts: StreamPart[]): void;
}

/**
 * Reads an upstream event stream through a mapping, yielding the parts of each read as one batch, up to
 * the first terminal part (`finish` or `error`). Parts mapped before an unreadable event are still
 * delivered, then the failure ends the stream.
 */
export async function* mapSseStream(body: Readable, mapping: SseStreamMapping): AsyncGenerator<StreamPart[]> {
  const reader = readSseEvents(body, mapping.isFinal);
  try {
    while (true) {
      let messages = reader.read();
      if (messages instanceof Promise) messages = await messages;
      if (messages === undefined) break;
      const parts: StreamPart[] = [];
      let failure: unknown;
      for (const message of messages) {
        try {
          mapping.mapEvent(message, parts);
        } catch (error) {
          failure = error;
          break;
        }
      }
      const ended = endAtTerminal(parts);
      if (parts.length > 0) yield parts;
      if (ended) return;
      if (failure) throw failure;
    }
  } finally {
    reader.close();
  }
  const parts: StreamPart[] = [];
  mapping.mapEnd(parts);
  endAtTerminal(parts);
  if (parts.length > 0) yield parts;
}
