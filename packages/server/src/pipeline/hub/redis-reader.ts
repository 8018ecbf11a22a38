import type { Redis } from 'ioredis';
import { type ErrorPart, isTerminalPart, SluiceError, type StreamMeta } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';
import { fellBehind, ownerLostPart, storeUnavailable, unknownStream } from './hub-errors.ts';
import { entryId, parseEntries, parseEntry, resultsOf, type StreamKeys } from './redis-keys.ts';
import type { HubReader } from './stream-hub.ts';

export interface RemoteReaderOptions {
  instanceId: string;
  maxEntries: number;
  /** The owner's grace period: this reader's presence key lives this long without a renewal. */
  graceMs: number;
  /** How long one blocking read waits before the reader checks that the owner is still alive. */
  blockMs: number;
  /** Asked when the owner is gone: true when the stream is being taken over, so the reader keeps tailing. */
  claimOrphan(streamId: string): Promise<boolean>;
}

const maxEntriesPerRead = 512;

type RawEntry = [string, string[]];

/**
 * Opens a reader of a stream generated on another instance: checks in one round trip that the stream
 * exists and that the entries after `afterSequence` are still kept, and announces the reader so the
 * owner's grace period does not run out.
 */
export async function openRemoteReader(redis: Redis, keys: StreamKeys, streamId: string, afterSequence: number, options: RemoteReaderOptions): Promise<HubReader> {
  let results: unknown[];
  try {
    results = resultsOf(
      await redis
        .pipeline()
        .get(keys.meta)
        .xrange(keys.log, '-', '+', 'COUNT', 1)
        .xrevrange(keys.log, '+', '-', 'COUNT', 1)
        .set(keys.readers, options.instanceId, 'PX', options.graceMs)
        .exec(),
    );
  } catch (error) {
    throw storeUnavailable(error);
  }
  const [metaJson, firstRaw, lastRaw] = results as [string | null, RawEntry[], RawEntry[]];
  if (metaJson === null) throw unknownStream(streamId);
  const first = firstRaw[0] && parseEntry(firstRaw[0]);
  const last = lastRaw[0] && parseEntry(lastRaw[0]);
  if (first && afterSequence + 1 < first.sequence) throw fellBehind(afterSequence, first.sequence, options.maxEntries);
  const complete = last !== undefined && isTerminalPart(last.part) && afterSequence >= last.sequence;
  return new RemoteReader(redis, keys, JSON.parse(metaJson) as StreamMeta, afterSequence, complete, options);
}

/**
 * Ends a stream whose owner is gone (it died, or was cancelled while unreachable) with `part`, unless it
 * already ended; false when its log no longer exists. The entry goes after both the log's newest entry
 * and `afterSequence` (a client may have seen entries the dead owner never stored). If the owner
 * appends first, this append fails and the log keeps the owner's ending: the explicit id makes the
 * append a compare-and-set.
 */
export async function endOrphanedStream(redis: Redis, keys: StreamKeys, afterSequence: number, part: ErrorPart): Promise<boolean> {
  const [newest] = (await redis.xrevrange(keys.log, '+', '-', 'COUNT', 1)) as RawEntry[];
  const last = newest && parseEntry(newest);
  if (last && isTerminalPart(last.part)) return true;
  const sequence = Math.max(last?.sequence ?? 0, afterSequence) + 1;
  try {
    const added = await redis.xadd(keys.log, 'NOMKSTREAM', entryId(sequence), 'part', JSON.stringify(part));
    return added !== null;
  } catch (error) {
    if (/equal or smaller/.test((error as Error).message)) return true;
    throw error;
  }
}


/**
 * Tails a stream in Redis: a blocking `XREAD` on a connection of its own (a blocked connection can do
 * nothing else), opened at the first read and closed with the reader. Between reads it renews its
 * presence key; when a read times out it checks the owner's liveness key, and a stream whose owner is
 * gone is ended with an `error` entry instead of waiting forever.
 */
class RemoteReader implements HubReader {
  readonly meta: StreamMeta;
  readonly complete: boolean;
  private readonly redis: Redis;
  private readonly keys: StreamKeys;
  private readonly options: RemoteReaderOptions;
  private tail: Redis | undefined;
  private cursor: number;
  private finished: boolean;
  private closed = false;
  private presenceRenewedAt = performance.now();

  constructor(redis: Redis, keys: StreamKeys, meta: StreamMeta, afterSequence: number, complete: boolean, options: RemoteReaderOptions) {
    this.redis = redis;
    this.keys = keys;
    this.meta = meta;
    this.cursor = afterSequence;
    this.complete = complete;
    this.finished = complete;
    this.options = options;
  }

  async next(): Promise<HubEntry[] | undefined> {
    while (!this.closed && !this.finished) {
      const entries = await this.read();
      if (entries === undefined) return undefined;
      this.renewPresence();
      const first = entries[0];
      if (first === undefined) {
        if ((await this.ownerIsGone()) && !(await this.options.claimOrphan(this.meta.streamId))) await this.endOrphaned();
        continue;
      }
      if (first.sequence > this.cursor + 1) throw fellBehind(this.cursor, first.sequence, this.options.maxEntries);
      const last = entries[entries.length - 1]!;
      this.cursor = last.sequence;
      if (isTerminalPart(last.part)) this.finished = true;
      return entries;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tail?.disconnect();
  }

  /** The next entries, `[]` when the blocking read timed out, undefined when the reader was closed meanwhile. */
  private async read(): Promise<HubEntry[] | undefined> {
    this.tail ??= this.openTail();
    try {
      const reply = (await this.tail.xread('COUNT', maxEntriesPerRead, 'BLOCK', this.options.blockMs, 'STREAMS', this.keys.log, entryId(this.cursor))) as
        | [string, RawEntry[]][]
        | null;
      return reply === null ? [] : parseEntries(reply[0]![1]);
    } catch (error) {
      if (this.closed) return undefined;
      throw storeUnavailable(error);
    }
  }

  private openTail(): Redis {
    const tail = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false, maxRetriesPerRequest: 1, commandTimeout: this.options.blockMs + 5_000 });
    tail.on('error', () => {
      // The read that fails reports it; the 'error' event only needs a listener so it does not crash the process.
    });
    return tail;
  }

  private async ownerIsGone(): Promise<boolean> {
    try {
      return (await this.redis.exists(this.keys.owner)) === 0;
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  private async endOrphaned(): Promise<void> {
    let logExists: boolean;
    try {
      logExists = await endOrphanedStream(this.redis, this.keys, this.cursor, ownerLostPart);
    } catch (error) {
      throw storeUnavailable(error);
    }
    if (!logExists) throw new SluiceError('not_found', `Stream ${this.meta.streamId} expired while it was read`);
  }

  private renewPresence(): void {
    const now = performance.now();
    if (now - this.presenceRenewedAt < this.options.graceMs / 3) return;
    this.presenceRenewedAt = now;
    this.redis.set(this.keys.readers, this.options.instanceId, 'PX', this.options.graceMs).catch(() => {
      // A missed renewal costs at most the owner's grace period; the next read reports a lasting outage.
    });
  }
}
