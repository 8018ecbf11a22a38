/** How the client reconnects after a dropped connection. */
export interface ReconnectOptions {
  /** Attempts in a row before giving up; a successful resume starts the count again. @default 5 */
  maxAttempts?: number;
  /** The first delay; the server's `retry:` hint replaces it when larger. @default 500 */
  initialDelayMs?: number;
  /** The cap of the exponential backoff. @default 8000 */
  maxDelayMs?: number;
}

export type ReconnectPolicy = Required<ReconnectOptions>;

export const defaultReconnectPolicy: ReconnectPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 8_000 };

export function resolveReconnectPolicy(options: ReconnectOptions | false | undefined): ReconnectPolicy | false {
  if (options === false) return false;
  return { ...defaultReconnectPolicy, ...options };
}

/**
 * Exponential backoff with jitter between half and all of the step, so that many clients cut by one
 * failure do not come back in the same millisecond.
 */
export function computeReconnectDelayMs(
  attempt: number,
  policy: ReconnectPolicy,
  retryHintMs: number | undefined,
  random = Math.random,
): number {
  const baseMs = Math.max(policy.initialDelayMs, retryHintMs ?? 0);
  const stepMs = Math.min(policy.maxDelayMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(stepMs * (0.5 + random() / 2));
}

/** Resolves after `delayMs`, or rejects with the signal's reason as soon as it aborts; leaves no timer behind. */
export function sleep(delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
