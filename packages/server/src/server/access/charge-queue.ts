import type { ModelUsage } from '../../keys/key-store.ts';

/** How long a settled stream's charge waits, so that the streams settled meanwhile are written in one go. */
const flushDelayMs = 50;
/** After a failed write (the store is down), how long until the charges are tried again. */
const retryDelayMs = 1_000;

export interface ChargeQueueOptions {
  /** Writes one key's charge for one model; its failure keeps the charge queued. */
  write(keyId: string, charge: ModelUsage): Promise<void>;
}

/**
 * The charges of settled streams, summed per key and model and written together every few dozen
 * milliseconds: a stream's end costs a map update, not a database transaction on the event loop (a
 * synchronous SQLite commit took 170 µs a stream under load, see BENCHMARKS.md). What is queued is lost
 * only if the process dies within that delay; `close` writes it all.
 */
export class ChargeQueue {
  private readonly pending = new Map<string, Map<string, ModelUsage>>();
  private readonly write: ChargeQueueOptions['write'];
  private timer: NodeJS.Timeout | undefined;
  private flushed: PromiseWithResolvers<void> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(options: ChargeQueueOptions) {
    this.write = options.write;
  }

  /** Queues a charge; resolves once it is written (or given up on at close). */
  add(keyId: string, charge: ModelUsage): Promise<void> {
    this.merge(keyId, charge);
    this.schedule(flushDelayMs);
    return this.flushed!.promise;
  }

  /** Writes everything queued now, trying once more what fails. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.pending.size > 0) await this.flush(false);
    this.flushed?.resolve();
  }

  private merge(keyId: string, charge: ModelUsage): void {
    let models = this.pending.get(keyId);
    if (models === undefined) this.pending.set(keyId, (models = new Map()));
    const queued = models.get(charge.model);
    if (queued === undefined) {
      models.set(charge.model, { ...charge });
      return;
    }
    queued.requests += charge.requests;
    queued.promptTokens += charge.promptTokens;
    queued.completionTokens += charge.completionTokens;
    queued.estimatedRequests += charge.estimatedRequests;
    queued.costUsd += charge.costUsd;
  }

  private schedule(delayMs: number): void {
    this.flushed ??= Promise.withResolvers<void>();
    if (this.timer !== undefined || this.flushing !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush(true);
    }, delayMs);
    this.timer.unref();
  }

  private async flush(retry: boolean): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    const waiting = this.flushed;
    this.flushed = undefined;
    let failed = false;
    this.flushing = (async () => {
      for (const [keyId, models] of batch) {
        for (const charge of models.values()) {
          try {
            await this.write(keyId, charge);
          } catch {
            failed = true;
            this.merge(keyId, charge);
          }
        }
      }
    })();
    await this.flushing;
    this.flushing = undefined;
    waiting?.resolve();
    if (retry && this.pending.size > 0) this.schedule(failed ? retryDelayMs : flushDelayMs);
  }
}
