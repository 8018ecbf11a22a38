import type { RateLimiter } from './rate-limiter.ts';
import { admitInWindow, extendInWindow, settleInWindow, windowUsage, type WindowCounts } from './rate-window.ts';

/** Counts in this process: right for one instance; with several, each allows the full limit (use Redis). */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  // One entry per key that made a request: bounded by the number of keys.
  const counts = new Map<string, WindowCounts>();
  return {
    async admit(keyId, limits, reserveTokens) {
      const { counts: next, decision } = admitInWindow(counts.get(keyId), now(), keyId, limits, reserveTokens);
      if (next !== undefined) counts.set(keyId, next);
      return decision;
    },
    async extend(reservation, tokens) {
      counts.set(reservation.keyId, extendInWindow(counts.get(reservation.keyId), now(), reservation, tokens));
    },
    async settle(reservation, usedTokens) {
      counts.set(reservation.keyId, settleInWindow(counts.get(reservation.keyId), now(), reservation, usedTokens));
    },
    async current(keyId) {
      return windowUsage(counts.get(keyId), now());
    },
    async close() {
      counts.clear();
    },
  };
}
