export type DeadlineKind = 'first_token' | 'idle';

/**
 * A deadline on content that can be pushed back cheaply: `extend()` only moves a number, and the one
 * timer re-arms itself for the remainder when it fires early. So a token costs no timer, and bytes that
 * are not content (heartbeat comments) simply never call `extend()`.
 */
export class ContentDeadline {
  readonly #onExpire: (kind: DeadlineKind, timeoutMs: number) => void;
  #kind: DeadlineKind = 'first_token';
  #timeoutMs = 0;
  #deadlineAt = Number.POSITIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerFiresAt = Number.POSITIVE_INFINITY;

  constructor(onExpire: (kind: DeadlineKind, timeoutMs: number) => void) {
    this.#onExpire = onExpire;
  }

  /** Sets the deadline `timeoutMs` from now; a non-finite or non-positive `timeoutMs` disarms it. */
  extend(kind: DeadlineKind, timeoutMs: number): void {
    this.#kind = kind;
    this.#timeoutMs = timeoutMs;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      this.dispose();
      return;
    }
    this.#deadlineAt = performance.now() + timeoutMs;
    // A later deadline waits for the timer already set; only an earlier one needs a new timer.
    if (this.#deadlineAt < this.#timerFiresAt) {
      clearTimeout(this.#timer);
      this.#schedule(timeoutMs);
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerFiresAt = Number.POSITIVE_INFINITY;
    this.#deadlineAt = Number.POSITIVE_INFINITY;
  }

  #schedule(delayMs: number): void {
    this.#timerFiresAt = performance.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerFiresAt = Number.POSITIVE_INFINITY;
      const remainingMs = this.#deadlineAt - performance.now();
      if (remainingMs > 0) {
        this.#schedule(remainingMs);
        return;
      }
      this.#deadlineAt = Number.POSITIVE_INFINITY;
      this.#onExpire(this.#kind, this.#timeoutMs);
    }, Math.ceil(delayMs));
  }
}
