import type { UIMessage } from '@sluice/react';

export interface MessageStats {
  timeToFirstTokenMs: number | undefined;
  /** Completion tokens over the time from the first token to the end; known once usage has arrived. */
  tokensPerSecond: number | undefined;
  usage: UIMessage['usage'];
}

export function computeMessageStats(message: UIMessage): MessageStats {
  const timing = message.timing;
  const timeToFirstTokenMs = timing?.firstTokenAt === undefined ? undefined : timing.firstTokenAt - timing.startedAt;
  let tokensPerSecond: number | undefined;
  if (message.usage !== undefined && timing?.firstTokenAt !== undefined && timing.finishedAt !== undefined) {
    const streamingSeconds = (timing.finishedAt - timing.firstTokenAt) / 1000;
    // One token, or all of them in one burst, has no meaningful rate.
    if (streamingSeconds > 0 && message.usage.completion_tokens > 1)
      tokensPerSecond = (message.usage.completion_tokens - 1) / streamingSeconds;
  }
  return { timeToFirstTokenMs, tokensPerSecond, usage: message.usage };
}

export function formatMilliseconds(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}
