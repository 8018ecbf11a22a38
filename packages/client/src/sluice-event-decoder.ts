import type { EventSourceMessage } from 'eventsource-parser';
import type { SluiceEvent, SluiceEventType } from '@sluice/protocol';
import { SluiceClientError } from './client-error.ts';
import type { DecodedMessage, EventDecoder } from './event-decoder.ts';

type FieldKind = 'string' | 'number' | 'boolean' | 'array';

/** The fields the client relies on, per event type; extra fields pass through untouched. */
const requiredFields: Record<SluiceEventType, Record<string, FieldKind>> = {
  meta: { stream_id: 'string', model: 'string' },
  token: { delta: 'string' },
  tool_call: { index: 'number', arguments_delta: 'string' },
  object: {},
  sources: { sources: 'array' },
  usage: { prompt_tokens: 'number', completion_tokens: 'number', total_tokens: 'number' },
  continued: { attempt: 'number' },
  error: { code: 'string', message: 'string' },
  done: { finish_reason: 'string' },
};

const noEvents: DecodedMessage = { events: [], terminal: false };

/**
 * Reads the Sluice event dialect (ARCHITECTURE.md): one JSON object per message whose `type` names it.
 * Event types this client does not know yet are skipped, so a newer server does not break an older client.
 */
export function createSluiceEventDecoder(): EventDecoder {
  return {
    decode(message: EventSourceMessage): DecodedMessage {
      const event = parseSluiceEvent(message.data);
      if (event === undefined) return noEvents;
      return { events: [event], terminal: event.type === 'done' || event.type === 'error' };
    },
  };
}

/** Parses and checks one `data:` payload; `undefined` for a well-formed event of an unknown type. */
export function parseSluiceEvent(data: string): SluiceEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new SluiceClientError('malformed_stream', `An event is not valid JSON: ${excerpt(data)}`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SluiceClientError('malformed_stream', `An event is not a JSON object: ${excerpt(data)}`);
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type !== 'string') {
    throw new SluiceClientError('malformed_stream', `An event has no string "type": ${excerpt(data)}`);
  }
  if (!Object.hasOwn(requiredFields, record.type)) return undefined;
  const type = record.type as SluiceEventType;
  for (const [field, kind] of Object.entries(requiredFields[type])) {
    if (!hasKind(record[field], kind)) {
      throw new SluiceClientError('malformed_stream', `A "${type}" event has no ${kind} "${field}": ${excerpt(data)}`);
    }
  }
  if (type === 'error' && typeof record.retryable !== 'boolean') record.retryable = false;
  return record as unknown as SluiceEvent;
}

function hasKind(value: unknown, kind: FieldKind): boolean {
  return kind === 'array' ? Array.isArray(value) : typeof value === kind;
}

function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
