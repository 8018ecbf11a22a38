import { StreamAbort } from './stream-abort.ts';

export interface ContentTimeouts {
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  totalTimeoutMs: number;
}

/**
 * Time limits on content, not on bytes: time to first token (from the request, upstream headers
 * included), the idle gap between tokens, and total time. When one passes it aborts the stream with a
 * `StreamAbort` naming it. Heartbeats never touch it.
 *
 * Marking content only stores a timestamp; the idle timer re-arms itself for the remaining time when it
 * fires early, so there is no timer work per token.
 */
export class ContentClock implements Disposable {
  readonly startedAt = performance.now();
  firstContentAt: number | undefined;
  private lastContentAt = 0;
  private idleHeld = false;
  private readonly timeouts: ContentTimeouts;
  private readonly abort: (reason: StreamAbort) => void;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly totalTimer: NodeJS.Timeout;

  constructor(timeouts: ContentTimeouts, abort: (reason: StreamAbort) => void) {
    this.timeouts = timeouts;
    this.abort = abort;
    this.firstTokenTimer = setTimeout(() => {
      this.abort(new StreamAbort('first_token_timeout', `No token arrived within ${timeouts.firstTokenTimeoutMs} ms`));
    }, timeouts.firstTokenTimeoutMs);
    this.totalTimer = setTimeout(() => {
      this.abort(new StreamAbort('total_timeout', `The stream passed its total time limit of ${timeouts.totalTimeoutMs} ms`));
    }, timeouts.totalTimeoutMs);
  }

  /** Call for every content part (text, reasoning, tool call). */
  markContent(): void {
    const now = performance.now();
    this.lastContentAt = now;
    if (this.firstContentAt !== undefined) return;
    this.firstContentAt = now;
    clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
    this.armIdle(this.timeouts.idleTimeoutMs);
  }

  /**
   * The upstream is not being read (the client socket is full): its silence from now until
   * `releaseIdle()` is not idleness, and the idle gap counts again from the release.
   */
  holdIdle(): void {
    this.idleHeld = true;
  }

  releaseIdle(): void {
    this.idleHeld = false;
    this.lastContentAt = performance.now();
  }

  /** Content is over (the stream finished): only the total limit keeps running until disposal. */
  stopIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
  }

  private armIdle(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      const remainingMs = this.idleHeld ? this.timeouts.idleTimeoutMs : this.lastContentAt + this.timeouts.idleTimeoutMs - performance.now();
      if (remainingMs > 1) {
        this.armIdle(remainingMs);
        return;
      }
      this.abort(new StreamAbort('idle_timeout', `No token arrived for ${this.timeouts.idleTimeoutMs} ms`));
      // A stream that continues past it (`continueOnFailure`) is watched again from now; any other is ending.
      this.lastContentAt = performance.now();
      this.armIdle(this.timeouts.idleTimeoutMs);
    }, delayMs);
  }

  [Symbol.dispose](): void {
    this.stopIdle();
    clearTimeout(this.totalTimer);
  }
}
