import { rateWindowMs, type KeyRateLimits, type RateDecision, type RateReservation, type WindowUsage } from './rate-limiter.ts';

/** A key's counts in one window; the Redis limiter keeps the same four fields in a hash. */
export interface WindowCounts {
  window: number;
  requests: number;
  tokens: number;
  reserved: number;
}

/**
 * The admission rule both limiters apply (the Redis one in its Lua script, in the same order): counts of
 * an older window count as zero; the request fits when one more request stays within the requests per
 * minute and the reservation within the tokens per minute.
 */
export function admitInWindow(
  stored: WindowCounts | undefined,
  nowMs: number,
  keyId: string,
  limits: KeyRateLimits,
  reserveTokens: number,
): { counts: WindowCounts | undefined; decision: RateDecision } {
  const window = Math.floor(nowMs / rateWindowMs);
  const counts = stored?.window === window ? stored : { window, requests: 0, tokens: 0, reserved: 0 };
  const reserve = limits.tokensPerMinute === null ? reserveTokens : Math.min(reserveTokens, limits.tokensPerMinute);
  const resetMs = (window + 1) * rateWindowMs - nowMs;
  const requestsFit = limits.requestsPerMinute === null || counts.requests + 1 <= limits.requestsPerMinute;
  const tokensFit = limits.tokensPerMinute === null || counts.tokens + counts.reserved + reserve <= limits.tokensPerMinute;
  const admitted = requestsFit && tokensFit;
  const next = admitted ? { window, requests: counts.requests + 1, tokens: counts.tokens, reserved: counts.reserved + reserve } : counts;
  const state = {
    requestsLimit: limits.requestsPerMinute,
    requestsRemaining: limits.requestsPerMinute === null ? 0 : Math.max(0, limits.requestsPerMinute - next.requests),
    tokensLimit: limits.tokensPerMinute,
    tokensRemaining: limits.tokensPerMinute === null ? 0 : Math.max(0, limits.tokensPerMinute - next.tokens - next.reserved),
    resetMs,
  };
  const decision: RateDecision = admitted
    ? { admitted: true, state, reservation: { keyId, window, tokens: reserve } }
    : { admitted: false, state, exceeded: requestsFit ? 'tokens' : 'requests' };
  return { counts: admitted ? next : stored, decision };
}

/** Extending: `tokens` more reserved in the current window, where the reservation moves if its own window ended. */
export function extendInWindow(stored: WindowCounts | undefined, nowMs: number, reservation: RateReservation, tokens: number): WindowCounts {
  const window = Math.floor(nowMs / rateWindowMs);
  const counts = stored?.window === window ? stored : { window, requests: 0, tokens: 0, reserved: 0 };
  if (reservation.window !== window) {
    reservation.window = window;
    reservation.tokens = 0;
  }
  reservation.tokens += tokens;
  return { ...counts, reserved: counts.reserved + tokens };
}

/** Settling: the reservation leaves its window if that is still the current one; the used tokens count in the current one. */
export function settleInWindow(stored: WindowCounts | undefined, nowMs: number, reservation: RateReservation, usedTokens: number): WindowCounts {
  const window = Math.floor(nowMs / rateWindowMs);
  if (stored?.window !== window) return { window, requests: 0, tokens: usedTokens, reserved: 0 };
  const released = reservation.window === window ? Math.max(0, stored.reserved - reservation.tokens) : stored.reserved;
  return { window, requests: stored.requests, tokens: stored.tokens + usedTokens, reserved: released };
}

export function windowUsage(stored: WindowCounts | undefined, nowMs: number): WindowUsage {
  const window = Math.floor(nowMs / rateWindowMs);
  const resetMs = (window + 1) * rateWindowMs - nowMs;
  if (stored?.window !== window) return { requests: 0, tokens: 0, reservedTokens: 0, resetMs };
  return { requests: stored.requests, tokens: stored.tokens, reservedTokens: stored.reserved, resetMs };
}
