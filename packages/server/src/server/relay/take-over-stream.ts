import { createStreamAccounting, createStreamTally, estimateUsage } from '../../pipeline/account-stream.ts';
import { ContentClock } from '../../pipeline/content-clock.ts';
import { ContinuedStream } from '../../pipeline/continuation/continue-on-failure.ts';
import { guardUpstream } from '../../pipeline/guard-upstream.ts';
import type { OrphanedStream } from '../../pipeline/hub/stream-hub.ts';
import { StreamAbort } from '../../pipeline/stream-abort.ts';
import { createContinuedStream } from './create-continued-stream.ts';
import type { RelayServices } from './relay-chat.ts';
import { stopAbort } from './resumable-relay.ts';

/** The route label of taken-over generations in metrics. */
const route = 'takeover';

/**
 * Continues here a resumable stream whose instance died (Redis hub, a route that continues failures),
 * once the hub claimed it for this instance: the next upstream attempt goes on from the text that
 * instance stored, and its parts continue the stream's log, so that readers tailing it on any instance
 * see it go on with no gap and nothing twice. It runs like any generation (timeouts, cancel, shutdown,
 * one log line), with no reader of its own: the readers are wherever the clients reconnected.
 */
export async function takeOverStream(services: RelayServices, orphan: OrphanedStream): Promise<void> {
  const { settings, logger, metrics } = services;
  const { meta, request } = orphan;
  const controller = new AbortController();
  const signal = controller.signal;
  const abort = (reason: StreamAbort): void => {
    if (!signal.aborted) controller.abort(reason);
  };
  const modelRoute = services.routeModel(request.model);
  const options = { signal, requestId: meta.requestId, policy: settings };
  // A route whose configuration changed since still gets its one takeover.
  const continued =
    createContinuedStream(logger, modelRoute, options, meta.streamId) ??
    new ContinuedStream({ ...options, targets: modelRoute.targets, continueOnFailure: { on: [], max: 1 } });
  using clock = new ContentClock(settings, (reason) => continued.interrupt(reason) || abort(reason));
  using _registration = services.streams.register(abort);
  const producer = orphan.adopt({ stop: (reason) => abort(stopAbort(reason, settings.resumeGraceMs)) });
  const tally = createStreamTally(JSON.stringify(request.messages).length);
  metrics.activeStreams.inc({ route });
  try {
    const history = orphan.history.map((entry) => entry.part);
    for await (const batch of guardUpstream(continued.takeOver(request, history), signal, createStreamAccounting(clock, tally))) {
      for (const part of batch) producer.append(part);
    }
    await producer.settled();
  } finally {
    metrics.activeStreams.dec({ route });
    const abortReason = signal.aborted && signal.reason instanceof StreamAbort ? signal.reason.reason : undefined;
    const outcome = abortReason === 'cancel_requested' || abortReason === 'client_closed' ? 'cancelled' : tally.error === undefined ? 'completed' : 'error';
    metrics.streams.inc({ route, outcome, model: modelRoute.metricsModel, provider: modelRoute.targets[0]?.providerName ?? 'none' });
    const usage = tally.usage ?? estimateUsage(tally);
    logger[outcome === 'error' ? 'warn' : 'info'](
      {
        request_id: meta.requestId,
        stream_id: meta.streamId,
        route,
        model: meta.model,
        outcome,
        reason: abortReason,
        error_code: outcome === 'error' ? tally.error?.code : undefined,
        takeover: true,
        after_sequence: orphan.history.at(-1)?.sequence ?? 0,
        continuations: tally.continuations,
        finish_reason: tally.finishReason,
        duration_ms: Math.round(performance.now() - clock.startedAt),
        tokens: { prompt: usage.promptTokens, completion: usage.completionTokens, total: usage.totalTokens, estimated: usage.estimated },
      },
      'stream ended',
    );
  }
}
