/**
 * Requests and tokens per minute per key, counted in fixed windows of one minute shared by every
 * instance (with Redis) or kept by this one (in memory). A request is admitted against a reservation
 * of tokens (its `max_tokens` and prompt, else a default), which its settle replaces with the tokens it
 * really used. A reservation lives only as long as its window: one left behind by an instance that died
 * mid-stream is gone a minute later, never leaked.
 */

/** The length of a window: requests and tokens per minute. */
export const rateWindowMs = 60_000;

export interface KeyRateLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/** Where a key stands in the current window, for the `x-ratelimit-*` headers. */
export interface RateLimitState {
  requestsLimit: number | null;
  requestsRemaining: number;
  tokensLimit: number | null;
  tokensRemaining: number;
  /** Until the window ends and both counts start again. */
  resetMs: number;
}

/** Tokens held for a request until it settles; `extend` moves it to the current window when its own has ended. */
export interface RateReservation {
  keyId: string;
  /** The window it holds its tokens in (`floor(time / rateWindowMs)`). */
  window: number;
  tokens: number;
}

export type RateDecision =
  | { admitted: true; state: RateLimitState; reservation: RateReservation }
  | { admitted: false; state: RateLimitState; exceeded: 'requests' | 'tokens' };

/** A key's counts in the current window, for the usage endpoint. */
export interface WindowUsage {
  requests: number;
  /** Tokens settled in this window. */
  tokens: number;
  /** Tokens reserved by requests still running that were admitted in this window. */
  reservedTokens: number;
  resetMs: number;
}

export interface RateLimiter {
  /**
   * One atomic step: counts the request and reserves `reserveTokens` (at most the key's tokens per
   * minute, so that a large `max_tokens` still fits an empty window) when both fit; else counts nothing.
   */
  admit(keyId: string, limits: KeyRateLimits, reserveTokens: number): Promise<RateDecision>;
  /**
   * Holds `tokens` more for a request streaming past its reservation, so that what it streams counts
   * before it settles. The tokens are reserved in the current window: a reservation whose own window
   * ended moves there (what it held went with its window).
   */
  extend(reservation: RateReservation, tokens: number): Promise<void>;
  /** Releases the reservation (if its window is still current) and counts `usedTokens` in the current window. */
  settle(reservation: RateReservation, usedTokens: number): Promise<void>;
  current(keyId: string): Promise<WindowUsage>;
  close(): Promise<void>;
}
