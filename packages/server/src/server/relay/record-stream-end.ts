import { overheadMs, type StreamTally } from '../../pipeline/account-stream.ts';
import type { ContentClock } from '../../pipeline/content-clock.ts';
import type { RouteTarget } from '../../pipeline/route-model.ts';
import { StreamAbort } from '../../pipeline/stream-abort.ts';
import type { SluiceError, StreamMeta, Usage } from '@sluice/protocol';
import type { RelayRequest, RelayServices } from './relay-chat.ts';

/**
 * The end of one relayed stream, recorded once: its metrics, its log line and, when configured, its
 * OpenTelemetry span and metrics. Nothing here runs per token.
 */
export function recordEnd(
  services: RelayServices,
  relay: RelayRequest,
  meta: StreamMeta,
  metricsModel: string,
  target: RouteTarget | undefined,
  clock: ContentClock,
  tally: StreamTally,
  usage: Usage,
  failure: SluiceError | undefined,
  signal: AbortSignal,
  keyName: string | undefined,
): void {
  const { metrics, logger } = services;
  const providerName = target?.providerName ?? 'none';
  const abort = signal.aborted && signal.reason instanceof StreamAbort ? signal.reason : undefined;
  const errorCode = failure?.code ?? tally.error?.code;
  const clientLeft = abort?.reason === 'client_closed' || abort?.reason === 'send_timeout' || abort?.reason === 'cancel_requested';
  const outcome = clientLeft ? 'cancelled' : errorCode === undefined ? 'completed' : errorCode === 'timeout' ? 'timeout' : errorCode === 'shutting_down' ? 'shutting_down' : 'error';
  const timeToFirstTokenMs = clock.firstContentAt === undefined ? undefined : clock.firstContentAt - clock.startedAt;
  const labels = { route: relay.route, model: metricsModel, provider: providerName };
  const overhead = overheadMs(tally, clock.startedAt);
  metrics.streams.inc({ route: relay.route, outcome, model: metricsModel, provider: providerName });
  metrics.overhead.observe({ route: relay.route }, overhead / 1000);
  if (tally.contentParts > 0) metrics.tokensRelayed.inc(labels, tally.contentParts);
  if (timeToFirstTokenMs !== undefined) metrics.timeToFirstToken.observe(labels, timeToFirstTokenMs / 1000);
  if (abort) metrics.cancellations.inc({ reason: abort.reason });
  if (!abort && errorCode !== undefined && isUpstreamCode(errorCode)) metrics.upstreamErrors.inc({ code: errorCode });
  const durationMs = performance.now() - clock.startedAt;
  const record = {
    request_id: relay.requestId,
    stream_id: meta.streamId,
    route: relay.route,
    model: meta.model,
    provider: providerName,
    key: keyName,
    outcome,
    reason: abort?.reason,
    error_code: clientLeft ? undefined : errorCode,
    resumable: relay.output.kind === 'resumable' || undefined,
    retrieval: meta.retrieval && { collection: meta.retrieval.collection, sources: meta.retrieval.sourceCount, duration_ms: meta.retrieval.durationMs },
    finish_reason: tally.finishReason,
    continuations: tally.continuations > 0 ? tally.continuations : undefined,
    time_to_first_token_ms: timeToFirstTokenMs === undefined ? undefined : round(timeToFirstTokenMs),
    duration_ms: round(durationMs),
    overhead_ms: round(overhead),
    tokens: { prompt: usage.promptTokens, completion: usage.completionTokens, total: usage.totalTokens, estimated: usage.estimated },
  };
  services.telemetry?.record({
    startedAtMs: Date.now() - durationMs,
    durationMs,
    timeToFirstTokenMs,
    upstreamModel: target?.upstreamModel,
    metricsModel,
    providerKind: target?.provider.name,
    providerName,
    stream: relay.output.kind !== 'collect',
    finishReason: tally.finishReason,
    usage,
    errorCode: record.error_code,
    requestId: relay.requestId,
    streamId: meta.streamId,
    route: relay.route,
    continuations: tally.continuations,
    overheadMs: overhead,
  });
  if (outcome === 'error') logger.warn(record, 'stream ended');
  else logger.info(record, 'stream ended');
}

function isUpstreamCode(code: string): boolean {
  return code === 'upstream_error' || code === 'upstream_timeout' || code === 'rate_limited' || code === 'overloaded' || code === 'not_found' || code === 'bad_request';
}

export function round(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
