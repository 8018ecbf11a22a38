/** What every dialect, and every instance that replays a stream, knows about a stream besides its parts. */
export interface StreamMeta {
  /** Unique per stream; the prefix of every event id. */
  streamId: string;
  /** The request id (`X-Request-Id`), also the trace id. */
  requestId: string;
  /** The model name as the client asked for it. */
  model: string;
  /** Unix seconds. */
  created: number;
  demo: boolean;
  /**
   * The client asked for JSON (`response_format`): readers of a resumable stream follow each `token`
   * with an `object` event, parsed from the whole answer so far, wherever they resume.
   */
  structuredOutput?: boolean;
  /**
   * The id of the client key that started the stream: only that key may resume or cancel it. Absent when
   * Sluice runs open. Never sent to clients.
   */
  ownerKeyId?: string;
  /** Set when the route continues a failed upstream (`continueOnFailure`); see `MetaEvent.continuation`. */
  continuation?: 'exact' | 'instruction';
  /** Set when the answer is grounded in a collection, once retrieval is done (before the stream starts). */
  retrieval?: { collection: string; sourceCount: number; durationMs: number };
}
