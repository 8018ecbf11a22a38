/** A connection whose writes the flush budget holds back. */
export interface HeldWrites {
  /** Writes what it holds now. */
  flush(): void;
}

/**
 * The clock of the flush budget (`SLUICE_FLUSH_MS`): one timer for every connection holding bytes, not
 * one per connection or per token. A connection that starts holding joins the next tick, at most
 * `flushMs` away, and every connection due writes at that tick in the same turn of the event loop, so
 * the h2 streams of one connection leave in one socket write. The timer runs only while some
 * connection holds bytes.
 */
export class FlushSchedule {
  readonly flushMs: number;
  private readonly held = new Set<HeldWrites>();
  private timer: NodeJS.Timeout | undefined;

  constructor(flushMs: number) {
    this.flushMs = flushMs;
  }

  hold(connection: HeldWrites): void {
    this.held.add(connection);
    this.timer ??= setTimeout(this.tick, this.flushMs);
  }

  /** The connection flushed early (it ended, or held too much): it leaves the next tick. */
  release(connection: HeldWrites): void {
    this.held.delete(connection);
    if (this.held.size > 0 || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const due = [...this.held];
    this.held.clear();
    for (const connection of due) connection.flush();
  };
}

const schedules = new Map<number, FlushSchedule>();

/** The process's schedule for a budget: every connection with the same budget shares its ticks. */
export function flushScheduleFor(flushMs: number): FlushSchedule {
  let schedule = schedules.get(flushMs);
  if (schedule === undefined) {
    schedule = new FlushSchedule(flushMs);
    schedules.set(flushMs, schedule);
  }
  return schedule;
}
