import type { Attributes } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { FinishReason, Usage } from '@sluice/protocol';

/** What one stream's end tells OpenTelemetry: recorded once, at the end, never per token. */
export interface StreamRecord {
  /** Wall-clock Unix milliseconds when the request started, and its duration. */
  startedAtMs: number;
  durationMs: number;
  timeToFirstTokenMs: number | undefined;
  /** The model name sent upstream, and the provider's adapter (`openai-chat`, `anthropic-messages`, ...) and configured name. */
  upstreamModel: string | undefined;
  /** The model as metrics name it: a configured name or route pattern, `other` for names nobody configured (see ModelRoute). */
  metricsModel: string;
  providerKind: string | undefined;
  providerName: string;
  /** The client asked for a stream (as opposed to one JSON answer). */
  stream: boolean;
  finishReason: FinishReason | undefined;
  usage: Usage;
  /** The error code the stream ended with, if it did not finish. */
  errorCode: string | undefined;
  requestId: string;
  streamId: string;
  route: string;
  continuations: number;
  overheadMs: number;
}

export interface StreamTelemetry {
  record(stream: StreamRecord): void;
  /** Exports what is pending and stops. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); `/v1/traces` and `/v1/metrics` are appended. */
  endpoint: string;
  metricExportIntervalMs: number;
  serviceName: string;
}

// Bucket boundaries the GenAI semantic conventions give for each metric
// (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/).
const tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const requestDurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const timeToFirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
const timePerOutputTokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

/** `gen_ai.provider.name` for each provider adapter: the API it speaks, as the conventions name it. */
const genAiProviders: Record<string, string> = { 'openai-chat': 'openai', 'openai-responses': 'openai', 'anthropic-messages': 'anthropic', demo: 'sluice.demo' };

/**
 * OpenTelemetry traces and metrics in the GenAI semantic conventions, exported over OTLP/HTTP (JSON):
 * one `chat {model}` span per stream, and the `gen_ai.client.token.usage`, `gen_ai.server.request.duration`,
 * `gen_ai.server.time_to_first_token` and `gen_ai.server.time_per_output_token` histograms. The SDK is
 * loaded only here, only when an endpoint is configured, so a Sluice without one loads and runs none of
 * it. Everything is recorded when a stream ends, from what its log line already holds.
 */
export async function createTelemetry(options: TelemetryOptions): Promise<StreamTelemetry> {
  const [{ SpanKind, SpanStatusCode }, { TracerProvider, BatchSpanProcessor }, { MeterProvider, PeriodicExportingMetricReader, AggregationType }, { OTLPTraceExporter }, { OTLPMetricExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/sdk-metrics'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/exporter-metrics-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) })],
  });
  const histogramView = (instrumentName: string, boundaries: number[]): ViewOptions => ({
    instrumentName,
    aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
  });
  const meterProvider = new MeterProvider({
    resource,
    views: [
      histogramView('gen_ai.client.token.usage', tokenBuckets),
      histogramView('gen_ai.server.request.duration', requestDurationBuckets),
      histogramView('gen_ai.server.time_to_first_token', timeToFirstTokenBuckets),
      histogramView('gen_ai.server.time_per_output_token', timePerOutputTokenBuckets),
    ],
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
        exportIntervalMillis: options.metricExportIntervalMs,
      }),
    ],
  });
  const tracer = tracerProvider.getTracer('sluice');
  const meter = meterProvider.getMeter('sluice');
  const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Number of input and output tokens used.' });
  const requestDuration = meter.createHistogram('gen_ai.server.request.duration', { unit: 's', description: 'Generative AI server request duration such as time-to-last byte or last output token.' });
  const timeToFirstToken = meter.createHistogram('gen_ai.server.time_to_first_token', { unit: 's', description: 'Time to generate first token for successful responses.' });
  const timePerOutputToken = meter.createHistogram('gen_ai.server.time_per_output_token', {
    unit: 's',
    description: 'Time per output token generated after the first token for successful responses.',
  });

  return {
    record(stream) {
      const operation: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': genAiProviders[stream.providerKind ?? ''] ?? stream.providerName,
      };
      // Spans name the model sent upstream; metrics a configured name, so clients cannot multiply series.
      const common: Attributes = { ...operation, 'gen_ai.request.model': stream.metricsModel };
      const failed = stream.errorCode !== undefined;
      const span = tracer.startSpan(`chat ${stream.upstreamModel ?? ''}`.trim(), {
        kind: SpanKind.CLIENT,
        startTime: stream.startedAtMs,
        attributes: {
          ...operation,
          ...(stream.upstreamModel === undefined ? {} : { 'gen_ai.request.model': stream.upstreamModel }),
          'gen_ai.request.stream': stream.stream,
          'gen_ai.usage.input_tokens': stream.usage.promptTokens,
          'gen_ai.usage.output_tokens': stream.usage.completionTokens,
          'sluice.usage.estimated': stream.usage.estimated,
          'sluice.request_id': stream.requestId,
          'sluice.stream_id': stream.streamId,
          'sluice.route': stream.route,
          'sluice.provider': stream.providerName,
          'sluice.continuations': stream.continuations,
          'sluice.overhead_ms': stream.overheadMs,
          ...(stream.finishReason === undefined ? {} : { 'gen_ai.response.finish_reasons': [stream.finishReason] }),
          ...(failed ? { 'error.type': stream.errorCode } : {}),
        },
      });
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: stream.errorCode });
      span.end(stream.startedAtMs + stream.durationMs);

      requestDuration.record(stream.durationMs / 1000, failed ? { ...common, 'error.type': stream.errorCode } : common);
      tokenUsage.record(stream.usage.promptTokens, { ...common, 'gen_ai.token.type': 'input' });
      tokenUsage.record(stream.usage.completionTokens, { ...common, 'gen_ai.token.type': 'output' });
      if (failed || stream.timeToFirstTokenMs === undefined) return;
      timeToFirstToken.record(stream.timeToFirstTokenMs / 1000, common);
      const laterTokens = stream.usage.completionTokens - 1;
      if (laterTokens > 0) timePerOutputToken.record((stream.durationMs - stream.timeToFirstTokenMs) / 1000 / laterTokens, common);
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
