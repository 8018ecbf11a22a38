import { assertNever, type ChatRequest, encodeSseComment, encodeSseEvent, type MetaEvent, type SluiceEvent, type StreamPart } from '@sluice/protocol';
import type { HubEntry } from '../../../pipeline/hub/hub-entry.ts';
import type { EgressDialect, EgressEncoder, StreamMeta } from '../egress-dialect.ts';
import { createPartialObjectTracker, wantsPartialObjects, type PartialObjectTracker } from './partial-object-tracker.ts';

/**
 * The Sluice event dialect (ARCHITECTURE.md): one JSON object per `data:` line, `event:` equal to its
 * `type`, and an `id:` of `<streamId>:<sequence>` on every event, `meta` being sequence 0.
 * An `error` is followed by `done` with `finish_reason: "error"` (or `"cancelled"`), so `done` is always
 * last and never claims success after a failure; that `done` takes the sequence after the error's, which
 * no part can have since nothing follows an error.
 *
 * For structured output, an `object` event (the partial JSON parsed so far) follows each `token` event
 * that changed it. On a stream written straight from the pipeline it takes the next sequence; on a
 * resumable stream it has no `id:` (the hub numbers parts, and an object is not a part), so a
 * `Last-Event-ID` still names the token before it.
 *
 * A stream written straight from the pipeline numbers its events itself, one after another. A resumable
 * stream's numbers come from the hub (`encodeEntries`), so that every instance gives every event the
 * same id and a `Last-Event-ID` means the same position everywhere.
 */
export const sluiceEventsDialect: EgressDialect = {
  name: 'sluice',
  contentType: 'text/event-stream; charset=utf-8',
  heartbeat: encodeSseComment('ping'),
  createEncoder(meta: StreamMeta, request: ChatRequest): EgressEncoder {
    let sequence = 1;
    const objects = wantsPartialObjects(request) ? createPartialObjectTracker() : undefined;
    return {
      start: () => encodeMetaEvent(meta),
      encode(parts: readonly StreamPart[]) {
        let out = '';
        for (const part of parts) {
          const events = encodePart(part, meta.streamId, sequence);
          if (events === '') continue;
          out += events;
          sequence += part.type === 'error' ? 2 : 1;
          const changed = part.type === 'text-delta' ? objects?.append(part.text) : undefined;
          if (changed) out += event({ type: 'object', object: changed.object }, meta.streamId, sequence++);
        }
        return out;
      },
    };
  },
};

/** The `meta` event, sequence 0: the first event of every stream read from its start. */
export function encodeMetaEvent(meta: StreamMeta): string {
  const metaEvent: MetaEvent = { type: 'meta', stream_id: meta.streamId, trace_id: meta.requestId, model: meta.model, created: meta.created };
  if (meta.demo) metaEvent.demo = true;
  if (meta.continuation) metaEvent.continuation = meta.continuation;
  if (meta.retrieval) {
    const { collection, sourceCount, durationMs } = meta.retrieval;
    metaEvent.retrieval = { collection, source_count: sourceCount, duration_ms: durationMs };
  }
  return encodeSseEvent('meta', JSON.stringify(metaEvent), `${meta.streamId}:0`);
}

/**
 * Events for numbered hub entries. Adjacent text deltas (a reader catching up reads many at once) leave
 * as one `token` event carrying the id of the last of them, so a resume after that id misses none.
 * With `objects` (structured output), each `token` event that changed the parse is followed by an
 * `object` event without an id.
 */
export function encodeEntries(streamId: string, entries: readonly HubEntry[], objects?: PartialObjectTracker): string {
  let out = '';
  let text = '';
  let textSequence = 0;
  const flushText = (): void => {
    out += event({ type: 'token', delta: text }, streamId, textSequence);
    const changed = objects?.append(text);
    if (changed) out += encodeSseEvent('object', JSON.stringify({ type: 'object', object: changed.object } satisfies SluiceEvent));
    text = '';
  };
  for (const { sequence, part } of entries) {
    if (part.type === 'text-delta') {
      text += part.text;
      textSequence = sequence;
      continue;
    }
    if (text !== '') flushText();
    out += encodePart(part, streamId, sequence);
  }
  if (text !== '') flushText();
  return out;
}

/** One part's events, '' for a part this dialect does not carry. */
function encodePart(part: StreamPart, streamId: string, sequence: number): string {
  switch (part.type) {
    case 'text-delta':
      return event({ type: 'token', delta: part.text }, streamId, sequence);
    case 'tool-call-delta':
      return event({ type: 'tool_call', index: part.index, id: part.id, name: part.name, arguments_delta: part.argumentsDelta }, streamId, sequence);
    case 'sources':
      return event({ type: 'sources', sources: part.sources }, streamId, sequence);
    case 'usage':
      return event(
        {
          type: 'usage',
          prompt_tokens: part.usage.promptTokens,
          completion_tokens: part.usage.completionTokens,
          total_tokens: part.usage.totalTokens,
          estimated: part.usage.estimated,
        },
        streamId,
        sequence,
      );
    case 'continued':
      return event(
        { type: 'continued', attempt: part.attempt, trigger: part.trigger, method: part.method, restarted_tool_calls: part.restartedToolCalls },
        streamId,
        sequence,
      );
    case 'finish':
      return event({ type: 'done', finish_reason: part.finishReason, citations: part.citations }, streamId, sequence);
    case 'error':
      return (
        event({ type: 'error', code: part.code, message: part.message, retryable: part.retryable }, streamId, sequence) +
        event({ type: 'done', finish_reason: part.code === 'cancelled' ? 'cancelled' : 'error' }, streamId, sequence + 1)
      );
    case 'response-metadata':
    case 'reasoning-delta':
      // Not part of the Sluice dialect's event table; the answer's text is what it relays.
      return '';
    default:
      return assertNever(part);
  }
}

function event(data: SluiceEvent, streamId: string, sequence: number): string {
  return encodeSseEvent(data.type, JSON.stringify(data), `${streamId}:${sequence}`);
}
