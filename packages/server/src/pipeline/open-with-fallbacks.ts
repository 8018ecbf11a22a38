import { setTimeout as sleep } from 'node:timers/promises';
import { type ChatRequest, normalizeError, SluiceError, type StreamPart } from '@sluice/protocol';
import { abortReason } from '../providers/upstream-http.ts';
import type { RouteTarget } from './route-model.ts';

export interface FallbackPolicy {
  /** Wait before the first fallback; each later one waits twice as long as the one before. */
  fallbackBackoffMs: number;
  /** The longest `retry-after` honoured before trying that provider again; a target that must wait longer is skipped. */
  maxRetryAfterMs: number;
  /** How long one attempt may wait for the upstream's response headers while a fallback is left to try. */
  fallbackAfterMs: number;
}

export interface OpenUpstreamOptions {
  signal: AbortSignal;
  requestId: string;
  policy: FallbackPolicy;
  /** Called for each failed attempt that another target follows. */
  onFallback?(failure: SluiceError, failed: RouteTarget, next: RouteTarget): void;
}

export interface OpenedUpstream {
  target: RouteTarget;
  parts: AsyncIterable<StreamPart[]>;
}

/**
 * Opens the first target that accepts the request. This all happens before anything is written to the
 * client, so a failed attempt is invisible to it: rate limits (429), upstream failures (5xx, a refused or
 * broken connection), overload, and an upstream that sends no headers within `fallbackAfterMs` move on
 * to the next target, after a backoff. Once a target's stream is returned the route is settled: a later
 * failure is the client's to see, in band, never retried silently.
 *
 * `retry-after` is a provider's word about itself: a later target on the same provider waits at least
 * that long, or is skipped when that is longer than `maxRetryAfterMs`. When every target failed, the last
 * failure is thrown, as the HTTP error the client gets.
 *
 * `request` may differ per target (a continuation is asked for in each upstream's own way).
 */
export async function openWithFallbacks(
  targets: RouteTarget[],
  request: ChatRequest | ((target: RouteTarget) => ChatRequest),
  options: OpenUpstreamOptions,
): Promise<OpenedUpstream> {
  const { signal, policy } = options;
  const notBefore = new Map<string, number>();
  let lastFailure: SluiceError | undefined;
  let lastTarget: RouteTarget | undefined;
  let failures = 0;
  for (const [index, target] of targets.entries()) {
    const hasFallback = index < targets.length - 1;
    if (lastFailure !== undefined && lastTarget !== undefined) {
      const retryAfterMs = (notBefore.get(target.providerName) ?? 0) - performance.now();
      if (retryAfterMs > policy.maxRetryAfterMs) continue;
      options.onFallback?.(lastFailure, lastTarget, target);
      await pause(Math.max(policy.fallbackBackoffMs * 2 ** (failures - 1), retryAfterMs), signal);
    }
    try {
      return { target, parts: await attempt(target, typeof request === 'function' ? request(target) : request, options, hasFallback) };
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      const failure = normalizeError(error);
      if (!worthAnotherTarget(failure)) throw failure;
      if (failure.retryAfterSeconds !== undefined) notBefore.set(target.providerName, performance.now() + failure.retryAfterSeconds * 1000);
      lastFailure = failure;
      lastTarget = target;
      failures += 1;
    }
  }
  throw lastFailure ?? new SluiceError('internal', 'The route has no upstream to try');
}

async function attempt(target: RouteTarget, request: ChatRequest, options: OpenUpstreamOptions, hasFallback: boolean): Promise<AsyncIterable<StreamPart[]>> {
  const { signal, policy } = options;
  if (!hasFallback) return target.provider.stream(request, { signal, upstreamModel: target.upstreamModel, requestId: options.requestId });
  // The attempt's own signal also follows the stream's, and stays on the upstream request for its whole life.
  const attemptController = new AbortController();
  const timer = setTimeout(() => {
    attemptController.abort(new SluiceError('upstream_timeout', `The upstream sent no response within ${policy.fallbackAfterMs} ms`));
  }, policy.fallbackAfterMs);
  try {
    return await target.provider.stream(request, {
      signal: AbortSignal.any([signal, attemptController.signal]),
      upstreamModel: target.upstreamModel,
      requestId: options.requestId,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Rate limits, overload, upstream failures and timeouts may pass on another target; a refused request would not. */
function worthAnotherTarget(failure: SluiceError): boolean {
  switch (failure.code) {
    case 'rate_limited':
    case 'overloaded':
    case 'upstream_timeout':
    case 'upstream_error':
      return failure.retryable;
    default:
      return false;
  }
}

async function pause(milliseconds: number, signal: AbortSignal): Promise<void> {
  if (milliseconds <= 0) return;
  try {
    await sleep(milliseconds, undefined, { signal });
  } catch {
    throw abortReason(signal);
  }
}
