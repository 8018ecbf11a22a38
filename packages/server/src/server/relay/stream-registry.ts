import type { StreamAbort } from '../../pipeline/stream-abort.ts';

type Abort = (reason: StreamAbort) => void;

/**
 * The streams in flight on this instance, so that shutdown can wait for them and then end them, and the
 * connections reading resumable streams, so that a draining instance can send them elsewhere.
 */
export class StreamRegistry {
  private readonly aborts = new Set<Abort>();
  private readonly readers = new Set<() => void>();
  private emptied: (() => void) | undefined;

  get size(): number {
    return this.aborts.size;
  }

  register(abort: Abort): Disposable {
    this.aborts.add(abort);
    return {
      [Symbol.dispose]: () => {
        this.aborts.delete(abort);
        if (this.aborts.size === 0) this.emptied?.();
      },
    };
  }

  /** A connection reading a hub stream; `sendElsewhere` tells its client to reconnect and closes it. */
  registerReader(sendElsewhere: () => void): Disposable {
    this.readers.add(sendElsewhere);
    return { [Symbol.dispose]: () => this.readers.delete(sendElsewhere) };
  }

  /** Every reader's client resumes elsewhere; the generations go on. */
  sendReadersElsewhere(): void {
    for (const sendElsewhere of [...this.readers]) sendElsewhere();
  }

  abortAll(reason: StreamAbort): void {
    for (const abort of this.aborts) abort(reason);
  }

  /** Resolves once no stream is in flight. */
  whenEmpty(): Promise<void> {
    if (this.aborts.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.emptied = () => {
        this.emptied = undefined;
        resolve();
      };
    });
  }
}
