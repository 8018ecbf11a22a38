import type { ChatRequest, StreamMeta, StreamPart } from '@sluice/protocol';

export type { StreamMeta } from '@sluice/protocol';

/** Turns parts into the bytes of one client dialect, keeping whatever state that dialect needs. */
export interface EgressEncoder {
  /** Bytes written right after the headers (may be empty). */
  start(): string;
  /** Bytes for a batch of parts, written in one write; the batch holding the terminal part ends the stream. */
  encode(parts: readonly StreamPart[]): string;
}

/** A streaming client dialect: StreamPart → bytes. */
export interface EgressDialect {
  readonly name: string;
  readonly contentType: string;
  /** Bytes that keep an idle connection alive, or undefined when the format has none. */
  readonly heartbeat: string | undefined;
  /** Response headers the format needs besides its content type (a protocol version, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * True for a format with no way to say "failed" in band (plain text): after the bytes the encoder makes
   * of the error part, the connection is cut instead of ended, so that no client takes the truncated
   * body for a whole answer.
   */
  readonly cutOnError?: boolean;
  createEncoder(meta: StreamMeta, request: ChatRequest): EgressEncoder;
}

/** Folds a whole stream into one JSON response, for a client that asked not to stream. */
export interface ResponseCollector {
  add(part: StreamPart): void;
  toResponse(): unknown;
}
