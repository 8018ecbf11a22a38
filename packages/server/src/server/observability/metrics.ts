import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one Sluice instance (its own registry, so several instances can share a
 * process in tests). Counts are added once per stream end, never per token.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_process_' });
  return {
    registry,
    activeStreams: new Gauge({ name: 'sluice_active_streams', help: 'Streams being relayed now', labelNames: ['route'] as const, registers: [registry] }),
    streams: new Counter({
      name: 'sluice_streams_total',
      help: 'Streams ended, by route, outcome, model (as routed; see README) and provider',
      labelNames: ['route', 'outcome', 'model', 'provider'] as const,
      registers: [registry],
    }),
    timeToFirstToken: new Histogram({
      name: 'sluice_time_to_first_token_seconds',
      help: 'From request to the first token relayed',
      labelNames: ['route', 'model', 'provider'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    retrievals: new Histogram({
      name: 'sluice_retrieval_seconds',
      help: 'Searches of a collection before a grounded answer, by outcome (ok, error)',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    tokensRelayed: new Counter({
      name: 'sluice_tokens_relayed_total',
      help: 'Content deltas relayed to clients',
      labelNames: ['route', 'model', 'provider'] as const,
      registers: [registry],
    }),
    overhead: new Histogram({
      name: 'sluice_overhead_seconds',
      help: "Sluice's own added time per request: its total time minus the time spent waiting on the upstream",
      labelNames: ['route'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    cancellations: new Counter({ name: 'sluice_cancellations_total', help: 'Streams ended early, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    usageTokens: new Counter({
      name: 'sluice_usage_tokens_total',
      help: 'Tokens streams used (as settled: upstream usage, else estimated), by client key name ("" when open) and type (prompt, completion)',
      labelNames: ['key', 'type'] as const,
      registers: [registry],
    }),
    keyRequests: new Counter({
      name: 'sluice_key_requests_total',
      help: 'Chat requests with a client key, by key name and outcome (admitted, forbidden, rate_limited, budget_exceeded)',
      labelNames: ['key', 'outcome'] as const,
      registers: [registry],
    }),
    authFailures: new Counter({ name: 'sluice_auth_failures_total', help: 'Requests refused with 401, by reason (missing, invalid, revoked, expired)', labelNames: ['reason'] as const, registers: [registry] }),
    shed: new Counter({ name: 'sluice_shed_total', help: 'New streams refused with 503 overloaded, by reason (max_streams, event_loop_lag)', labelNames: ['reason'] as const, registers: [registry] }),
    strayErrors: new Counter({
      name: 'sluice_stray_errors_total',
      help: 'Exceptions and rejections nothing caught, by scope (stream: that stream was ended; process) and origin',
      labelNames: ['scope', 'origin'] as const,
      registers: [registry],
    }),
    upstreamErrors: new Counter({ name: 'sluice_upstream_errors_total', help: 'Upstream failures, by error code', labelNames: ['code'] as const, registers: [registry] }),
  };
}

export type SluiceMetrics = ReturnType<typeof createMetrics>;
