/** How late the event loop has been running, sampled without touching the hot path. */
export interface EventLoopLag {
  /** The smoothed lateness of the probe, in milliseconds. */
  currentMs(): number;
  [Symbol.dispose](): void;
}

const probeIntervalMs = 100;

/**
 * A timer every 100 ms that measures how late it fired, smoothed over the last few firings (each
 * counts a third). A loop that runs late turn after turn, or is blocked most of the time, makes every
 * firing late and so reads as its lateness; one garbage collection pause of 100 ms reads 33 ms and fades.
 * (perf_hooks' delay histogram samples on a timer too, but its median under-reports a loop blocked in
 * long stretches: a block is one sample however long it lasts, the short gaps between blocks many.)
 */
export function monitorEventLoopLag(): EventLoopLag {
  let currentMs = 0;
  let expectedAt = performance.now() + probeIntervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    currentMs = (currentMs * 2 + Math.max(0, now - expectedAt)) / 3;
    expectedAt = now + probeIntervalMs;
  }, probeIntervalMs);
  timer.unref();
  return {
    currentMs: () => currentMs,
    [Symbol.dispose]: () => clearInterval(timer),
  };
}
