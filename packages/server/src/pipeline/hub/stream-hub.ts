import type { ChatRequest, StreamMeta, StreamPart } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';

/**
 * The stream hub of ARCHITECTURE.md: every part of a resumable stream is numbered and kept in a bounded
 * log, so that any connection (on this instance or, with Redis, on any instance) can replay what it
 * missed and tail the rest. The generation writes to the hub; each connection reads from it, at its own
 * pace, through its own writer.
 */
export interface StreamHub {
  /** True when other instances can read and cancel this hub's streams, so a draining instance may send its readers elsewhere. */
  readonly shared: boolean;
  /** Starts the log of a stream generated on this instance. */
  create(meta: StreamMeta, handlers: HubStreamHandlers, options?: HubCreateOptions): Promise<HubProducer>;
  /**
   * A reader of the entries after `afterSequence` (0: from the first part, the `meta` event being 0).
   * Throws a SluiceError: `not_found` for an unknown or expired stream, `gone` when those entries are no
   * longer kept, `bad_request` for a position the stream never reached, `overloaded` when the shared
   * store cannot be reached.
   */
  open(streamId: string, afterSequence: number): Promise<HubReader>;
  /** The meta of a stream generated on any instance, undefined when unknown or expired; throws `overloaded` as `open` does. */
  meta(streamId: string): Promise<StreamMeta | undefined>;
  /** Stops a stream wherever it is generated. */
  cancel(streamId: string): Promise<CancelOutcome>;
  /**
   * Every entry of a stream kept now, without waiting for more: what a poll of a background response
   * shows. Throws as `open` does (`not_found`, `gone` when its start is no longer kept, `overloaded`).
   */
  read(streamId: string): Promise<{ meta: StreamMeta; entries: HubEntry[] }>;
  /** The id of the unfinished stream created under `activeKey`, if any (on any instance, when shared). */
  findActive(activeKey: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface HubStreamOptions {
  /** Entries kept per stream (at least; up to an eighth more between trims); a reader further behind gets `gone`. */
  maxEntries: number;
  /**
   * In this process, fewer entries when the newest `maxEntries` would hold more than this many bytes
   * (see `estimatePartBytes`): a stream whose readers stall goes on generating into its log.
   */
  maxBytes: number;
  /** How long a stream stays readable after its last entry. */
  retentionMs: number;
  /** How long a stream that lost its last reader keeps generating before it is abandoned. */
  graceMs: number;
}

export interface HubCreateOptions {
  /**
   * The request as sent upstream, for a stream another instance may take over if this one dies (a route
   * that continues failures): a shared hub keeps it beside the log, and readers here see only entries
   * stored where every instance can read them. Ignored by a hub that is not shared.
   */
  takeoverRequest?: ChatRequest;
  /** Generates to its end with or without readers (no grace period); only a cancel stops it early. */
  background?: boolean;
  /**
   * A name the stream is found by while it generates (an AI SDK chat id), for `findActive`; a later
   * stream under the same name takes it over.
   */
  activeKey?: string;
}

/** A stream whose owner died, claimed by this instance so that it continues it. */
export interface OrphanedStream {
  meta: StreamMeta;
  /** The request as the first owner sent it upstream. */
  request: ChatRequest;
  /** Every entry stored so far, from sequence 1. */
  history: HubEntry[];
  /** Makes this instance the stream's producer; its appends continue the history's numbering. */
  adopt(handlers: HubStreamHandlers): HubProducer;
}

/** Why the hub asks the generation to stop. */
export type HubStopReason = 'cancel_requested' | 'abandoned';

export interface HubStreamHandlers {
  /** The generation must end now (its last part, an `error`, still goes to the hub). */
  stop(reason: HubStopReason): void;
}

/** `cancelling`: the stream runs on another instance, which has been told. */
export type CancelOutcome = 'cancelled' | 'cancelling' | 'finished' | 'not_found';

/** The generation's side of a stream. */
export interface HubProducer {
  readonly meta: StreamMeta;
  /**
   * Numbers the part and stores it; readers on this instance see it at once, other instances after the
   * next batched write. A terminal part (`finish`, `error`) ends the stream.
   */
  append(part: StreamPart): void;
  /** A reader for a connection on this instance, such as the one that asked for the stream. */
  openReader(afterSequence: number): HubReader;
  /** Resolves once every part appended so far is stored where every instance can read it. */
  settled(): Promise<void>;
}

/** One connection's view of a stream. */
export interface HubReader {
  readonly meta: StreamMeta;
  /** True when nothing follows the position it was opened at: the stream had already ended there. */
  readonly complete: boolean;
  /**
   * The entries after the last ones returned, waiting until there are some; `undefined` once the
   * terminal entry has been returned or the reader was closed. Throws a SluiceError when the reader
   * fell behind the log's bound (`gone`) or the shared store failed.
   */
  next(): Promise<HubEntry[] | undefined>;
  /** Ends a pending `next()` and lets the stream know this reader left. */
  close(): void;
}
