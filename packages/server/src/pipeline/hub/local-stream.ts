import { isTerminalPart, SluiceError, type StreamMeta, type StreamPart } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';
import { StreamLog } from './stream-log.ts';
import type { HubProducer, HubReader, HubStreamHandlers, HubStreamOptions } from './stream-hub.ts';

/** Most entries one `next()` returns, so a reader catching up writes in bounded pieces. */
const maxEntriesPerRead = 512;

/** Where a shared hub copies a local stream, so other instances can read it. */
export interface StreamMirror {
  /** Called for every appended entry, in order; must not block. */
  add(entry: HubEntry): void;
  /** True when a reader on another instance is attached. */
  hasRemoteReaders(): Promise<boolean>;
  /** Resolves once every added entry is stored. */
  settled(): Promise<void>;
  /** Calls `listener` with the newest sequence stored after each write, and with Infinity once writing failed. */
  onStored(listener: (sequence: number) => void): void;
}

export interface LocalStreamHooks {
  mirror?: StreamMirror;
  /**
   * Readers here see only what the mirror has stored, so that whatever a client saw survives this
   * instance's death: another instance taking the stream over continues after the stored entries, and a
   * client that saw more would skip or repeat. Set for streams another instance may take over.
   */
  readStoredOnly?: boolean;
  /** The entries of a stream taken over from another instance, which this log continues. */
  history?: readonly HubEntry[];
  /** No grace period: the stream generates to its end even when nobody reads it. */
  background?: boolean;
  /** Called once, right after the terminal entry was appended. */
  onEnded(): void;
}

/**
 * A stream generated on this instance: its log, its local readers, and the grace period. When the last
 * reader leaves an unfinished stream, a timer of `graceMs` starts; a reader that comes back (here, or on
 * another instance through the mirror) keeps the generation going, otherwise it is stopped as abandoned.
 */
export class LocalStream implements HubProducer {
  readonly meta: StreamMeta;
  readonly log: StreamLog;
  /** The newest sequence readers here may see (everything, unless they read stored entries only). */
  readableThrough = Number.POSITIVE_INFINITY;
  private readers = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly handlers: HubStreamHandlers;
  private readonly graceMs: number;
  private readonly hooks: LocalStreamHooks;

  constructor(meta: StreamMeta, handlers: HubStreamHandlers, options: HubStreamOptions, hooks: LocalStreamHooks) {
    this.meta = meta;
    this.handlers = handlers;
    this.graceMs = options.graceMs;
    this.hooks = hooks;
    this.log = new StreamLog(options.maxEntries, options.maxBytes);
    if (hooks.history !== undefined) this.log.restore(hooks.history);
    if (hooks.mirror !== undefined && hooks.readStoredOnly) {
      this.readableThrough = this.log.lastSequence;
      hooks.mirror.onStored((sequence) => {
        this.readableThrough = sequence;
        this.log.wake();
      });
    }
  }

  /** True once readers here have seen, or may see, the terminal entry. */
  get readableToEnd(): boolean {
    return this.log.ended && this.readableThrough >= this.log.lastSequence;
  }

  get ended(): boolean {
    return this.log.ended;
  }

  append(part: StreamPart): void {
    if (this.log.ended) return;
    const entry = this.log.append(part);
    this.hooks.mirror?.add(entry);
    if (this.log.ended) {
      this.clearGrace();
      this.hooks.onEnded();
    }
  }

  openReader(afterSequence: number): HubReader {
    // The `done` after a terminal `error` carries the next sequence, so a client may hold that one too.
    const lastEventSequence = this.log.lastSequence + (this.log.ended ? 1 : 0);
    if (afterSequence > lastEventSequence) {
      throw new SluiceError('bad_request', `Stream ${this.meta.streamId} has no event ${afterSequence} (its last is ${lastEventSequence})`, {
        param: 'Last-Event-ID',
      });
    }
    this.log.assertKeptAfter(afterSequence);
    this.readers += 1;
    this.clearGrace();
    return new LocalReader(this, afterSequence, this.log.ended && afterSequence >= this.log.lastSequence);
  }

  settled(): Promise<void> {
    return this.hooks.mirror?.settled() ?? Promise.resolve();
  }

  /** Every entry kept, from the first; throws `gone` when the log no longer starts at the beginning. */
  entries(): HubEntry[] {
    return this.log.after(0, Number.POSITIVE_INFINITY);
  }

  /** Stops the generation; false when it had already ended. */
  cancel(): boolean {
    if (this.log.ended) return false;
    this.handlers.stop('cancel_requested');
    return true;
  }

  /** Called by a reader when it closes. */
  readerLeft(): void {
    this.readers -= 1;
    if (this.readers === 0 && !this.log.ended && !this.hooks.background) this.armGrace();
  }

  private armGrace(): void {
    this.clearGrace();
    this.graceTimer = setTimeout(() => void this.onGraceOver(), this.graceMs);
  }

  private async onGraceOver(): Promise<void> {
    this.graceTimer = undefined;
    if (this.readers > 0 || this.log.ended) return;
    const remote = await (this.hooks.mirror?.hasRemoteReaders() ?? false);
    if (this.readers > 0 || this.log.ended) return;
    if (remote) this.armGrace();
    else this.handlers.stop('abandoned');
  }

  private clearGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}

class LocalReader implements HubReader {
  readonly complete: boolean;
  private readonly stream: LocalStream;
  private cursor: number;
  private closed = false;
  private finished = false;
  private wake: (() => void) | undefined;

  constructor(stream: LocalStream, afterSequence: number, complete: boolean) {
    this.stream = stream;
    this.cursor = afterSequence;
    this.complete = complete;
    this.finished = complete;
  }

  get meta(): StreamMeta {
    return this.stream.meta;
  }

  async next(): Promise<HubEntry[] | undefined> {
    while (!this.closed && !this.finished) {
      const readable = Math.min(maxEntriesPerRead, this.stream.readableThrough - this.cursor);
      const entries = readable > 0 ? this.stream.log.after(this.cursor, readable) : [];
      const last = entries.at(-1);
      if (last !== undefined) {
        this.cursor = last.sequence;
        if (isTerminalPart(last.part)) this.finished = true;
        return entries;
      }
      if (this.stream.readableToEnd) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.stream.log.onNextAppend(resolve);
      });
      this.wake = undefined;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.stream.readerLeft();
  }
}
