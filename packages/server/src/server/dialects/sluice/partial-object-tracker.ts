import { type ChatRequest, parsePartialJson } from '@sluice/protocol';

/** Follows a structured answer's text and says when what it parses to has changed. */
export interface PartialObjectTracker {
  /** Adds answer text; returns the best-effort object when it differs from the last one returned. */
  append(text: string): { object: unknown } | undefined;
  /** Adds answer text a reader already has, without parsing: a resumed reader's object includes it. */
  skip(text: string): void;
}

/** True when the client asked for JSON (`response_format` `json_schema` or `json_object`). */
export function wantsPartialObjects(request: ChatRequest): boolean {
  const type = (request.parameters.response_format as { type?: unknown } | undefined)?.type;
  return type === 'json_schema' || type === 'json_object';
}

/**
 * Parses the whole text so far on each call, so call it once per written batch rather than per token: a
 * client that reads slowly gets bigger batches and therefore fewer parses.
 */
export function createPartialObjectTracker(): PartialObjectTracker {
  let text = '';
  let last: string | undefined;
  return {
    append(delta) {
      text += delta;
      const { value } = parsePartialJson(text);
      if (value === undefined) return undefined;
      // Compared serialized: a token inside a string changes the object without changing its keys.
      const serialized = JSON.stringify(value);
      if (serialized === last) return undefined;
      last = serialized;
      return { object: value };
    },
    skip(delta) {
      text += delta;
    },
  };
}
