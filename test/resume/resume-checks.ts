import assert from 'node:assert/strict';
import type { SseMessage } from '../support/sse-client.ts';

export interface Reassembled {
  text: string;
  /** The `object` events' objects, in order. */
  objects: unknown[];
  /** Every event id, in the order received across connections. */
  ids: string[];
  /** `done`, `error` or `none`, from the last connection. */
  ending: string;
  errorCode: string | undefined;
  finishReason: string | undefined;
}

/**
 * Joins the events of the connections a client used for one stream, checking what resuming promises:
 * one stream id, sequences strictly increasing across connections (so no event came twice), and every
 * event id-tagged except a reader's own failure and `object` events (derived from the tokens, not parts).
 */
export function reassemble(connections: SseMessage[][]): Reassembled {
  const result: Reassembled = { text: '', objects: [], ids: [], ending: 'none', errorCode: undefined, finishReason: undefined };
  let streamId: string | undefined;
  let lastSequence = -1;
  for (const messages of connections) {
    for (const message of messages) {
      const data = JSON.parse(message.data) as Record<string, any>;
      assert.equal(data.type, message.event);
      if (message.id === undefined) {
        assert.ok(data.type === 'error' || data.type === 'done' || data.type === 'object', `only a reader's own failure and objects go without an id: ${message.data}`);
      } else {
        const [idStream, sequenceText] = message.id.split(':');
        streamId ??= idStream;
        assert.equal(idStream, streamId, 'one stream id');
        const sequence = Number(sequenceText);
        assert.ok(sequence > lastSequence, `sequence ${sequence} after ${lastSequence}: an event came twice or out of order`);
        lastSequence = sequence;
        result.ids.push(message.id);
      }
      if (data.type === 'token') result.text += data.delta;
      if (data.type === 'object') result.objects.push(data.object);
      if (data.type === 'error') {
        result.ending = 'error';
        result.errorCode = data.code;
      }
      if (data.type === 'done') {
        result.finishReason = data.finish_reason;
        if (result.ending !== 'error') result.ending = 'done';
      }
    }
  }
  return result;
}

/** The id of the last event received, what a client sends as Last-Event-ID. */
export function lastEventId(messages: SseMessage[]): string {
  const id = messages.findLast((message) => message.id !== undefined)?.id;
  assert.ok(id, 'an event with an id arrived');
  return id;
}

/** A long answer with a word per upstream event. */
export function longText(words: number): string {
  return Array.from({ length: words }, (_, index) => `w${index}`).join(' ') + '.';
}
