import { isTerminalPart, type StreamPart } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';
import { estimatePartBytes } from './estimate-part-bytes.ts';
import { fellBehind } from './hub-errors.ts';

/**
 * The in-memory log of one stream: numbered entries, the newest `maxEntries` kept, and the readers
 * waiting for the next one. Appending is synchronous and costs a push, a size estimate and, when someone
 * waits, one wake-up per waiting reader: no timer or promise per part.
 *
 * Bound and overflow policy: the newest `maxEntries` are kept, fewer when they would hold more than
 * `maxBytes` (see `estimatePartBytes`). Older ones are dropped in bulk once an eighth more have piled up
 * (like Redis' `MAXLEN ~`), so trimming costs O(1) per entry amortized rather than a shift of the whole
 * array per entry; a reader that still needed them gets `gone` instead of a silent gap.
 */
export class StreamLog {
  ended = false;
  private entries: HubEntry[] = [];
  /** Sequence of `entries[0]`. */
  private firstSequence = 1;
  private nextSequence = 1;
  private waiters: Array<() => void> = [];
  private readonly maxEntries: number;
  private readonly trimAtEntries: number;
  private readonly maxBytes: number;
  private readonly trimAtBytes: number;
  private keptBytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.trimAtEntries = maxEntries + Math.max(16, Math.floor(maxEntries / 8));
    this.maxBytes = maxBytes;
    this.trimAtBytes = maxBytes + Math.floor(maxBytes / 8);
  }

  /** The sequence of the newest entry, 0 when there is none yet. */
  get lastSequence(): number {
    return this.nextSequence - 1;
  }

  append(part: StreamPart): HubEntry {
    const entry: HubEntry = { sequence: this.nextSequence, part };
    this.nextSequence += 1;
    this.entries.push(entry);
    this.keptBytes += estimatePartBytes(part);
    if (this.entries.length >= this.trimAtEntries || this.keptBytes >= this.trimAtBytes) this.trim();
    if (isTerminalPart(part)) this.ended = true;
    this.wake();
    return entry;
  }

  /**
   * Starts the log where another instance's left off (a takeover): `entries` are that stream's, numbered
   * from 1 and contiguous; the next append continues their numbering.
   */
  restore(entries: readonly HubEntry[]): void {
    this.entries = entries.slice(-this.maxEntries);
    this.firstSequence = this.entries[0]?.sequence ?? 1;
    this.nextSequence = (entries.at(-1)?.sequence ?? 0) + 1;
    this.keptBytes = this.entries.reduce((sum, entry) => sum + estimatePartBytes(entry.part), 0);
    if (this.keptBytes > this.maxBytes) this.trim();
  }

  /** Wakes every waiting reader (after an append, or when more of the log became readable). */
  wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Drops the oldest entries down to `maxEntries` and `maxBytes`. */
  private trim(): void {
    let dropped = Math.max(0, this.entries.length - this.maxEntries);
    for (let index = 0; index < dropped; index += 1) this.keptBytes -= estimatePartBytes(this.entries[index]!.part);
    while (this.keptBytes > this.maxBytes && dropped < this.entries.length - 1) {
      this.keptBytes -= estimatePartBytes(this.entries[dropped]!.part);
      dropped += 1;
    }
    this.entries.splice(0, dropped);
    this.firstSequence += dropped;
  }

  /** Throws `gone` when some entries after `sequence` are no longer kept. */
  assertKeptAfter(sequence: number): void {
    if (sequence + 1 < this.firstSequence) throw fellBehind(sequence, this.firstSequence, this.maxEntries);
  }

  /** Up to `limit` entries after `sequence`; throws `gone` when some of them are no longer kept. */
  after(sequence: number, limit: number): HubEntry[] {
    this.assertKeptAfter(sequence);
    const start = sequence + 1 - this.firstSequence;
    return start >= this.entries.length ? [] : this.entries.slice(start, start + limit);
  }

  /** Calls `wake` once, at the next append. */
  onNextAppend(wake: () => void): void {
    this.waiters.push(wake);
  }
}
