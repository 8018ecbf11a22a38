import type { Scenario } from './scenario.ts';

/** One upstream event: the exact bytes of one SSE message, and how many tokens it carries. */
export interface Frame {
  text: string;
  tokens: number;
  /**
   * `head` frames open the stream (no fault fires before them); `content` frames carry tokens; `tail`
   * frames finish it (a fault whose token count was reached fires before the first of them).
   */
  phase: 'head' | 'content' | 'tail';
}

export interface RequestContext {
  scenario: Scenario;
  body: any;
  model: string;
  /** Unix seconds, the same for every event of the response. */
  created: number;
  /** Distinguishes the ids of responses within one fake server. */
  serial: number;
}

export interface EventStream {
  /** Lazily generated, infinite when the scenario is. */
  frames: Iterable<Frame>;
  /** The provider's own in-stream error, for `fault.kind: 'error-event'`. */
  errorFrame(): string;
  /** An event whose data is not JSON, framed so that the provider's SDK does try to parse it. */
  garbageFrame(): string;
}

/** One API surface of the fake, chosen by path. */
export interface Endpoint {
  /** Header carrying the request id, as the real provider names it. */
  requestIdHeader: string;
  isStreaming(body: any): boolean;
  /** Absent where the API never streams (embeddings). */
  stream?(context: RequestContext): EventStream;
  complete(context: RequestContext): unknown;
  errorBody(status: number, requestId: string): unknown;
}

export function sseData(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Pairs each item with whether it is the last one; never reports last for an infinite source. */
export function* withLast<T>(items: Iterable<T>): Generator<[T, boolean]> {
  let previous: T | undefined;
  let hasPrevious = false;
  for (const item of items) {
    if (hasPrevious) yield [previous as T, false];
    previous = item;
    hasPrevious = true;
  }
  if (hasPrevious) yield [previous as T, true];
}
