import type { StreamMeta } from '@sluice/protocol';
import { LocalStream, type LocalStreamHooks } from './local-stream.ts';
import type { HubStreamHandlers, HubStreamOptions } from './stream-hub.ts';

/**
 * The streams generated on this instance, in memory, each kept `retentionMs` after its end: all there
 * is to the memory hub, and what the Redis hub serves its own streams from while it mirrors them.
 */
export class LocalStreams {
  private readonly streams = new Map<string, LocalStream>();
  /** Active keys of unfinished streams → their ids. */
  private readonly active = new Map<string, string>();
  private readonly expiries = new Set<NodeJS.Timeout>();
  private readonly options: HubStreamOptions;

  constructor(options: HubStreamOptions) {
    this.options = options;
  }

  get(streamId: string): LocalStream | undefined {
    return this.streams.get(streamId);
  }

  /** The unfinished stream created here under `activeKey`. */
  findActive(activeKey: string): string | undefined {
    return this.active.get(activeKey);
  }

  create(meta: StreamMeta, handlers: HubStreamHandlers, hooks: Omit<LocalStreamHooks, 'onEnded'> = {}, activeKey?: string): LocalStream {
    if (activeKey !== undefined) this.active.set(activeKey, meta.streamId);
    const stream = new LocalStream(meta, handlers, this.options, {
      ...hooks,
      // Kept `retentionMs` after its end for late readers; the timer must not hold the process open.
      onEnded: () => {
        if (activeKey !== undefined && this.active.get(activeKey) === meta.streamId) this.active.delete(activeKey);
        const expiry = setTimeout(() => {
          this.expiries.delete(expiry);
          this.streams.delete(meta.streamId);
        }, this.options.retentionMs);
        expiry.unref();
        this.expiries.add(expiry);
      },
    });
    this.streams.set(meta.streamId, stream);
    return stream;
  }

  clear(): void {
    for (const expiry of this.expiries) clearTimeout(expiry);
    this.expiries.clear();
    this.streams.clear();
    this.active.clear();
  }
}
