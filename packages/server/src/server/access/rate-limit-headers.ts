import type { HttpResponse } from '../http/http-types.ts';
import type { RateLimitState } from '../../pipeline/access/rate-limiter.ts';

/**
 * The headers OpenAI sends with every response (https://platform.openai.com/docs/guides/rate-limits),
 * for the limits the key has: set on the response before its head is written, so that a stream's head,
 * a JSON answer and a 429 all carry them.
 */
export function setRateLimitHeaders(response: HttpResponse, state: RateLimitState | undefined): void {
  if (state === undefined) return;
  const reset = formatResetDuration(state.resetMs);
  if (state.requestsLimit !== null) {
    response.setHeader('x-ratelimit-limit-requests', String(state.requestsLimit));
    response.setHeader('x-ratelimit-remaining-requests', String(state.requestsRemaining));
    response.setHeader('x-ratelimit-reset-requests', reset);
  }
  if (state.tokensLimit !== null) {
    response.setHeader('x-ratelimit-limit-tokens', String(state.tokensLimit));
    response.setHeader('x-ratelimit-remaining-tokens', String(state.tokensRemaining));
    response.setHeader('x-ratelimit-reset-tokens', reset);
  }
}

/** A duration as OpenAI writes its resets (Go's `time.Duration` format): `20ms`, `1s`, `17.5s`, `1m0s`. */
export function formatResetDuration(milliseconds: number): string {
  const ms = Math.max(0, Math.round(milliseconds));
  if (ms < 1000) return `${ms}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = String((ms % 60_000) / 1000);
  return minutes === 0 ? `${seconds}s` : `${minutes}m${seconds}s`;
}
