import { isTerminalPart, type StreamPart } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';
import { fellBehind } from './hub-errors.ts';

/**
 * The in-memory log of one stream: numbered entries, the newest `maxEntries` kept, and the readers
 * waiting for the next one. Appending is synchronous and costs a push and, when someone waits, one
 * wake-up per waiting reader: no timer or promise per part.
 *
 * Bound and overflow policy: the newest `maxEntries` are kept. Older ones are dropped in bulk once an
 * eighth more have piled up (like Redis' `MAXLEN ~`), so trimming costs O(1) per entry amortized rather
 * than a shift of the whole array per entry; a reader that still needed them gets `gone` instead of a
 * silent gap.
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

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
    this.trimAtEntries = maxEntries + Math.max(16, Math.floor(maxEntries / 8));
  }

  /** The sequence of the newest entry, 0 when there is none yet. */
  get lastSequence(): number {
    return this.nextSequence - 1;
  }

  append(part: StreamPart): HubEntry {
    const entry: HubEntry = { sequence: this.nextSequence, part };
    this.nextSequence += 1;
    this.entries.push(entry);
    if (this.entries.length >= this.trimAtEntries) {
      const dropped = this.entries.length - this.maxEntries;
      this.entries.splice(0, dropped);
      this.firstSequence += dropped;
    }
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
  }

  /** Wakes every waiting reader (after an append, or when more of the log became readable). */
  wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
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
