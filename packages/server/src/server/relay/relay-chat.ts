import type { HttpResponse } from '../http/http-types.ts';
import type { Admission } from '../../pipeline/access/admit-chat.ts';
import { createStreamAccounting, createStreamTally, estimateUsage, overheadMs, type StreamTally } from '../../pipeline/account-stream.ts';
import { ContentClock } from '../../pipeline/content-clock.ts';
import type { ContinuedStream } from '../../pipeline/continuation/continue-on-failure.ts';
import { continuationOfRoute } from '../../pipeline/continuation/continuation-of-route.ts';
import { guardUpstream } from '../../pipeline/guard-upstream.ts';
import { mergeDeltas } from '../../pipeline/merge-deltas.ts';
import { openWithFallbacks } from '../../pipeline/open-with-fallbacks.ts';
import { citeSources } from '../../pipeline/retrieval/cite-sources.ts';
import { groundChatRequest, type Grounding, type RetrievalPlan } from '../../pipeline/retrieval/ground-chat-request.ts';
import type { StreamHub } from '../../pipeline/hub/stream-hub.ts';
import type { ModelRoute, RouteTarget } from '../../pipeline/route-model.ts';
import { StreamAbort } from '../../pipeline/stream-abort.ts';
import { assertNever, type ChatRequest, normalizeError, SluiceError, type StreamPart } from '@sluice/protocol';
import { abortReason } from '../../providers/upstream-http.ts';
import type { AccessControl } from '../access/access-control.ts';
import type { LazyRetrievalStore } from '../config/lazy-retrieval-store.ts';
import type { Settings } from '../config/settings.ts';
import type { EgressDialect, ResponseCollector, StreamMeta } from '../dialects/egress-dialect.ts';
import { wantsPartialObjects } from '../dialects/sluice/partial-object-tracker.ts';
import { writeEventStreamHead } from '../http/event-stream-head.ts';
import { sendJson, sendJsonError } from '../http/send-json.ts';
import type { Redact } from '../observability/create-redactor.ts';
import type { EventLoopLag } from '../observability/event-loop-lag.ts';
import type { Logger } from '../observability/logger.ts';
import { redactError } from '../observability/redact-error.ts';
import type { SluiceMetrics } from '../observability/metrics.ts';
import type { StreamTelemetry } from '../observability/telemetry.ts';
import { ClientConnection } from '../writer/client-connection.ts';
import { createContinuedStream } from './create-continued-stream.ts';
import { createStreamId } from './create-stream-id.ts';
import { recordEnd, round } from './record-stream-end.ts';
import { refuseStream } from './refuse-stream.ts';
import { relayResumable, type ResumableOptions } from './resumable-relay.ts';
import type { StreamRegistry } from './stream-registry.ts';
import { runInStreamScope } from './stream-scope.ts';

export interface RelayServices {
  settings: Settings;
  logger: Logger;
  metrics: SluiceMetrics;
  routeModel: (model: string) => ModelRoute;
  streams: StreamRegistry;
  hub: StreamHub;
  /** Client keys, limits and budgets: the admission of every chat and its settle. */
  access: AccessControl;
  /** The document collections that `retrieval` requests search. */
  retrieval: LazyRetrievalStore;
  /** OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  telemetry?: StreamTelemetry;
  /** Takes every configured secret out of text that came from an upstream or an error. */
  redact: Redact;
  /** How late the event loop runs, for load shedding. */
  eventLoopLag: EventLoopLag;
}

export interface RelayRequest {
  /** The route label for logs and metrics, e.g. `/v1/chat/stream`. */
  route: string;
  requestId: string;
  chatRequest: ChatRequest;
  response: HttpResponse;
  /** Ground the answer in a collection: search before the upstream is opened, stream the `sources` first. */
  retrieval?: RetrievalPlan;
  /**
   * How to write the stream: in a dialect, straight from the pipeline; `resumable`, in Sluice events
   * through the stream hub, so that it outlives its connection; `collect`, one JSON response at the end
   * (a `chat.completion`, an Anthropic message, ...).
   */
  output:
    | { kind: 'stream'; dialect: EgressDialect }
    | ({ kind: 'resumable' } & Pick<ResumableOptions, 'background' | 'activeKey' | 'serveFirstReader'>)
    | { kind: 'collect'; createCollector: (meta: StreamMeta, request: ChatRequest) => ResponseCollector };
  /** The JSON body of an error answered with an HTTP status, in the client's dialect; OpenAI's shape when absent. */
  errorBody?: (error: SluiceError) => unknown;
}

/**
 * One chat request, from routing to the last byte: route the model, open the upstream (a failure here
 * is still a real HTTP status), run the pipeline, write the client's dialect, then log one line.
 * Every early ending goes through one AbortController whose signal the upstream request carries.
 */
export function relayChat(services: RelayServices, relay: RelayRequest): Promise<void> {
  const controller = new AbortController();
  const abort = (reason: StreamAbort): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const endOnStrayError = (): void => abort(new StreamAbort('internal_error', 'Sluice failed while relaying this stream'));
  return runInStreamScope(endOnStrayError, () => relayInScope(services, relay, controller.signal, abort));
}

async function relayInScope(services: RelayServices, relay: RelayRequest, signal: AbortSignal, abort: (reason: StreamAbort) => void): Promise<void> {
  const { settings, metrics } = services;
  // Shed before anything else is spent on the request (a key check may be a Redis round trip).
  const shed = refuseStream(settings, services.streams.size, services.eventLoopLag);
  if (shed !== undefined) {
    metrics.shed.inc({ reason: shed.reason });
    sendJsonError(relay.response, shed.error, { 'x-request-id': relay.requestId }, relay.errorBody?.(shed.error));
    return;
  }
  const tally = createStreamTally(JSON.stringify(relay.chatRequest.messages).length);
  let admission: Admission;
  try {
    admission = await services.access.admit(relay.response, relay.chatRequest, tally.promptCharacters);
  } catch (error) {
    const refusal = normalizeError(error);
    if (refusal.code === 'internal') services.logger.error({ request_id: relay.requestId, err: error }, 'admission failed');
    sendJsonError(relay.response, refusal, { 'x-request-id': relay.requestId }, relay.errorBody?.(refusal));
    return;
  }
  using connection = new ClientConnection(relay.response, { sendTimeoutMs: settings.sendTimeoutMs, flushMs: settings.flushMs, onGone: abort });
  let continued: ContinuedStream | undefined;
  // A timeout the route continues ends only the attempt in flight; the next one goes on with the answer.
  using clock = new ContentClock(settings, (reason) => continued?.interrupt(reason) || abort(reason));
  using _registration = services.streams.register(abort);
  const route = services.routeModel(relay.chatRequest.model);
  const meta: StreamMeta = {
    streamId: createStreamId(),
    requestId: relay.requestId,
    model: route.displayModel,
    created: Math.floor(Date.now() / 1000),
    demo: route.targets[0]?.provider.demo ?? false,
  };
  if (admission.keyId !== undefined) meta.ownerKeyId = admission.keyId;
  if (relay.output.kind === 'resumable' && wantsPartialObjects(relay.chatRequest)) meta.structuredOutput = true;
  if (route.continueOnFailure !== undefined) meta.continuation = continuationOfRoute(route.targets);
  let failure: SluiceError | undefined;
  let opened = false;
  let target: RouteTarget | undefined = route.targets[0];
  metrics.activeStreams.inc({ route: relay.route });
  try {
    let upstream: AsyncIterable<StreamPart[]>;
    let grounding: Grounding | undefined;
    let sentRequest = relay.chatRequest;
    try {
      if (relay.retrieval !== undefined) {
        const retrievalStartedAt = performance.now();
        grounding = await groundChatRequest(relay.retrieval, relay.chatRequest, signal).catch((error: unknown) => {
          metrics.retrievals.observe({ outcome: 'error' }, (performance.now() - retrievalStartedAt) / 1000);
          throw error;
        });
        metrics.retrievals.observe({ outcome: 'ok' }, grounding.durationMs / 1000);
        meta.retrieval = { collection: relay.retrieval.collection, sourceCount: grounding.sources.length, durationMs: grounding.durationMs };
        tally.promptCharacters = JSON.stringify(grounding.chatRequest.messages).length;
      }
      const openOptions = {
        signal,
        requestId: relay.requestId,
        policy: settings,
        onFallback: (attemptFailure: SluiceError, failed: RouteTarget, next: RouteTarget) =>
          services.logger.warn(
            { request_id: relay.requestId, provider: failed.providerName, error_code: attemptFailure.code, fallback: next.providerName },
            'upstream failed before the first byte; trying the fallback',
          ),
      };
      sentRequest = grounding?.chatRequest ?? relay.chatRequest;
      tally.upstreamStartedAt = performance.now();
      continued = createContinuedStream(services.logger, route, openOptions, meta.streamId);
      const started = await (continued?.open(sentRequest) ?? openWithFallbacks(route.targets, sentRequest, openOptions));
      upstream = started.parts;
      target = started.target;
      opened = true;
    } catch (error) {
      failure = redactError(beforeFirstByte(error, signal), services.redact);
      if (!connection.closed) sendJsonError(relay.response, failure, { 'x-request-id': relay.requestId }, relay.errorBody?.(failure));
      return;
    }
    const accounted = guardUpstream(upstream, signal, admission.watch(createStreamAccounting(clock, tally), tally, abort), services.redact);
    const parts = grounding === undefined ? accounted : citeSources(accounted, grounding.sources);
    switch (relay.output.kind) {
      case 'stream':
        await writeStream(relay, relay.output.dialect, meta, parts, connection, clock, settings, tally);
        break;
      case 'resumable':
        // A stream that continues failures may also be continued by another instance if this one dies.
        await relayResumable(services, relay.response, meta, parts, connection, abort, {
          takeoverRequest: continued && sentRequest,
          background: relay.output.background,
          activeKey: relay.output.activeKey,
          serveFirstReader: relay.output.serveFirstReader,
        });
        break;
      case 'collect':
        await writeCollected(relay, relay.output.createCollector(meta, relay.chatRequest), parts, tally, connection, clock);
        break;
      default:
        assertNever(relay.output);
    }
  } finally {
    metrics.activeStreams.dec({ route: relay.route });
    // A stream cut by its client never pulls its error part through accounting: estimate here instead.
    const usage = tally.usage ?? estimateUsage(tally);
    // A request that reached no upstream used nothing; one that did is charged what it used.
    services.access.settle(admission, opened ? usage : undefined, meta.model);
    recordEnd(services, relay, meta, route.metricsModel, target, clock, tally, usage, failure, signal, admission.keyName);
  }
}

/**
 * Writes the dialect's events as batches come, one write per batch. While the client socket is full the
 * next batch is not read, so the upstream's bytes wait in undici's bounded read buffer and then in TCP,
 * pushing back on the provider; once the socket drains, everything that piled up is read as one batch
 * and its deltas leave merged, as one event. That wait is the client's, not the upstream's: the idle
 * timeout does not run through it (the send timeout watches it instead).
 */
async function writeStream(
  relay: RelayRequest,
  dialect: EgressDialect,
  meta: StreamMeta,
  parts: AsyncIterable<StreamPart[]>,
  connection: ClientConnection,
  clock: ContentClock,
  settings: Settings,
  tally: StreamTally,
): Promise<void> {
  // Sluice's own time is known only once the body is written: an HTTP trailer, announced here, for a
  // client that says it reads trailers (`TE: trailers`, RFC 9110 §10.1.4); the others are spared it.
  const sendsTrailer = /\btrailers\b/i.test(String(relay.response.req.headers.te ?? ''));
  writeEventStreamHead(relay.response, dialect.contentType, relay.requestId, sendsTrailer ? { ...dialect.headers, trailer: overheadHeader } : dialect.headers);
  const encoder = dialect.createEncoder(meta, relay.chatRequest);
  const opening = encoder.start();
  // A format that opens with nothing (plain text) still sends its head now, not with the first token.
  if (opening === '') connection.flushHead();
  else if (!connection.write(opening) && !(await connection.waitForDrain())) return;
  if (dialect.heartbeat !== undefined) connection.startHeartbeat(dialect.heartbeat, settings.heartbeatMs);
  for await (const batch of parts) {
    if (connection.closed) return;
    const bytes = encoder.encode(mergeDeltas(batch));
    if (dialect.cutOnError && batch[batch.length - 1]?.type === 'error') {
      connection.cut(bytes);
      return;
    }
    if (bytes !== '' && !connection.write(bytes) && !(await waitForClient(connection, clock))) return;
  }
  if (connection.closed) return;
  if (sendsTrailer) relay.response.addTrailers({ [overheadHeader]: String(round(overheadMs(tally, clock.startedAt))) });
  connection.end();
}

/** Sluice's own added time, in milliseconds: a header on a JSON answer, a trailer on a stream. */
const overheadHeader = 'x-sluice-overhead-ms';

async function waitForClient(connection: ClientConnection, clock: ContentClock): Promise<boolean> {
  clock.holdIdle();
  try {
    return await connection.waitForDrain();
  } finally {
    clock.releaseIdle();
  }
}

async function writeCollected(
  relay: RelayRequest,
  collector: ResponseCollector,
  parts: AsyncIterable<StreamPart[]>,
  tally: StreamTally,
  connection: ClientConnection,
  clock: ContentClock,
): Promise<void> {
  for await (const batch of parts) for (const part of batch) collector.add(part);
  if (connection.closed) return;
  const headers = { 'x-request-id': relay.requestId, [overheadHeader]: String(round(overheadMs(tally, clock.startedAt))) };
  if (tally.error) {
    const error = new SluiceError(tally.error.code, tally.error.message);
    sendJsonError(relay.response, error, headers, relay.errorBody?.(error));
    return;
  }
  sendJson(relay.response, 200, collector.toResponse(), headers);
}

/** A failure before any byte reached the client, as the HTTP error it should get. */
function beforeFirstByte(error: unknown, signal: AbortSignal): SluiceError {
  if (!signal.aborted) return normalizeError(error);
  const reason = abortReason(signal);
  if (reason instanceof StreamAbort && reason.reason === 'first_token_timeout') {
    return new SluiceError('upstream_timeout', `The upstream did not answer in time (${reason.message})`);
  }
  return reason;
}
