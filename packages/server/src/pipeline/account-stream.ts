import { assertNever, type ErrorPart, type FinishReason, type StreamPart, type Usage } from '@sluice/protocol';
import type { ContentClock } from './content-clock.ts';

/** What one stream delivered, for its log line, its metrics and usage estimates. */
export interface StreamTally {
  /** Size of the prompt as sent (JSON of the messages), for estimates. */
  promptCharacters: number;
  textCharacters: number;
  contentParts: number;
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  error: ErrorPart | undefined;
  /** Times a failed upstream was continued by another attempt (`continueOnFailure`). */
  continuations: number;
  /** performance.now() when the upstream was asked (first attempt), and when its terminal part came. */
  upstreamStartedAt: number | undefined;
  upstreamEndedAt: number | undefined;
}

export function createStreamTally(promptCharacters: number): StreamTally {
  return { promptCharacters, textCharacters: 0, contentParts: 0, usage: undefined, finishReason: undefined, error: undefined, continuations: 0, upstreamStartedAt: undefined, upstreamEndedAt: undefined };
}

/**
 * Marks content on the clock, counts what passes, and keeps usage honest: when a stream ends in an
 * error before the upstream reported usage, an estimated `usage` part (about four characters a token,
 * flagged `estimated: true`) goes out before the error, so billing never silently loses a stream.
 *
 * A synchronous step for `guardUpstream` to run on every part it lets through, not an async stage of
 * its own: each async generator between the upstream and the socket costs promise jobs per part
 * (BENCHMARKS.md, optimisation log). Returns the part to send before `part`, if any.
 */
export function createStreamAccounting(clock: ContentClock, tally: StreamTally): (part: StreamPart) => StreamPart | undefined {
  return (part) => {
    switch (part.type) {
      case 'text-delta':
      case 'reasoning-delta':
        tally.textCharacters += part.text.length;
        tally.contentParts += 1;
        clock.markContent();
        return undefined;
      case 'tool-call-delta':
        tally.textCharacters += part.argumentsDelta.length;
        tally.contentParts += 1;
        clock.markContent();
        return undefined;
      case 'usage':
        tally.usage = part.usage;
        return undefined;
      case 'finish':
        tally.finishReason = part.finishReason;
        tally.upstreamEndedAt = performance.now();
        clock.stopIdle();
        return undefined;
      case 'error':
        tally.error = part;
        tally.upstreamEndedAt = performance.now();
        clock.stopIdle();
        if (tally.usage) return undefined;
        tally.usage = estimateUsage(tally);
        return { type: 'usage', usage: tally.usage };
      case 'continued':
        tally.continuations += 1;
        return undefined;
      case 'response-metadata':
      case 'sources':
        return undefined;
      default:
        return assertNever(part);
    }
  };
}

/** About four characters a token: rough, flagged `estimated`, and better than losing the stream's cost. */
export function estimateUsage(tally: StreamTally): Usage {
  const promptTokens = Math.ceil(tally.promptCharacters / 4);
  const completionTokens = Math.ceil(tally.textCharacters / 4);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true };
}

/**
 * Sluice's own added time for a request that started at `startedAt`: everything but the wait on the
 * upstream, from asking it to its last part (fallbacks and continuations included, as upstream time).
 */
export function overheadMs(tally: StreamTally, startedAt: number, now = performance.now()): number {
  const upstreamStartedAt = tally.upstreamStartedAt ?? now;
  return Math.max(0, now - startedAt - ((tally.upstreamEndedAt ?? now) - upstreamStartedAt));
}
