import { SluiceError } from '@sluice/protocol';
import type { EventLoopLag } from '../observability/event-loop-lag.ts';

export interface AdmissionLimits {
  /** Streams in flight at once on this instance; 0 for no cap. */
  maxStreams: number;
  /** The event loop's median delay past which new streams are refused; 0 to never refuse on lag. */
  maxEventLoopLagMs: number;
}

/** Why a new stream was refused: the label of `sluice_shed_total`. */
export type ShedReason = 'max_streams' | 'event_loop_lag';

/**
 * Load shedding: whether this instance takes one more stream. A stream refused costs a fast 503
 * `overloaded` with `retry-after`, which a client or a proxy can take elsewhere; a stream admitted into
 * an overloaded process slows every stream in it, and the probes with them.
 */
export function refuseStream(limits: AdmissionLimits, activeStreams: number, lag: EventLoopLag): { reason: ShedReason; error: SluiceError } | undefined {
  if (limits.maxStreams > 0 && activeStreams >= limits.maxStreams) {
    return { reason: 'max_streams', error: overloaded(`Sluice is at its limit of ${limits.maxStreams} streams (SLUICE_MAX_STREAMS); retry shortly`) };
  }
  const lagMs = lag.currentMs();
  if (limits.maxEventLoopLagMs > 0 && lagMs > limits.maxEventLoopLagMs) {
    return { reason: 'event_loop_lag', error: overloaded(`Sluice is overloaded (event loop ${Math.round(lagMs)} ms late, over SLUICE_MAX_EVENT_LOOP_LAG_MS); retry shortly`) };
  }
  return undefined;
}

function overloaded(message: string): SluiceError {
  return new SluiceError('overloaded', message, { retryAfterSeconds: 1 });
}
