import type { AddressInfo, Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DestinationStream } from 'pino';
import { createModelRouter } from '../pipeline/route-model.ts';
import { StreamAbort } from '../pipeline/stream-abort.ts';
import { createDemoProvider, demoModelName } from '../providers/demo/demo-provider.ts';
import { createUpstreamPools } from '../providers/upstream-http.ts';
import { configuredSecrets } from './config/configured-secrets.ts';
import { createProviders } from './config/create-providers.ts';
import { createAccessControl } from './access/access-control.ts';
import { openAccessRefusal } from './access/open-access.ts';
import { startAdminListener, type AdminListener } from './admin-listener.ts';
import { createLazyRetrievalStore } from './config/lazy-retrieval-store.ts';
import { readTlsIdentity, readUpstreamCa } from './config/read-tls-files.ts';
import { loadSettings, SettingsError, type Settings } from './config/settings.ts';
import { handleRequest, type ServerState } from './handle-request.ts';
import { applyConnectionLimits } from './http/apply-connection-limits.ts';
import { createListener } from './http/create-listener.ts';
import { toListenError } from './listen-error.ts';
import { containStrayErrors } from './observability/contain-stray-errors.ts';
import { createRedactor } from './observability/create-redactor.ts';
import { monitorEventLoopLag } from './observability/event-loop-lag.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { createTelemetry } from './observability/telemetry.ts';
import { createStreamHub } from './relay/create-stream-hub.ts';
import { StreamRegistry } from './relay/stream-registry.ts';
import { takeOverStream } from './relay/take-over-stream.ts';

export interface StartOptions {
  /** Where settings not given directly are read from; `{}` by default, so embedding code is hermetic. */
  environment?: NodeJS.ProcessEnv;
  /** Where the JSON log lines go (stdout by default). */
  logDestination?: DestinationStream;
  /**
   * Handle the process's uncaught exceptions and unhandled rejections: the stream they came from ends,
   * the process goes on (see `containStrayErrors`). The `sluice` command turns it on; code embedding
   * Sluice keeps its own process policy by default.
   */
  containStrayErrors?: boolean;
  /**
   * This process is worker number `workerId` of several that Sluice's primary process started
   * (SLUICE_WORKERS): its log lines say so, and without Redis its hub asks the others, through the
   * primary, for streams it does not hold.
   */
  workerId?: number;
}

export interface SluiceInstance {
  /** e.g. http://127.0.0.1:8787, or https://… with TLS. */
  readonly url: string;
  readonly port: number;
  readonly settings: Settings;
  /** The server listening on the port: HTTP/1.1 (h2 with prior knowledge is handed over from it), or TLS. */
  readonly server: Server;
  readonly logger: Logger;
  /** The admin listener's URL (`/metrics`, `/admin/keys`) when SLUICE_ADMIN_PORT is set. */
  readonly adminUrl: string | undefined;
  /** At startup: `open` when no client key exists and none is required, so that anyone reaching Sluice may use it. */
  readonly access: 'open' | 'keys';
  /** Where stream tokens' signing secret came from (see SLUICE_STREAM_TOKEN_SECRET). */
  readonly streamTokenSecret: 'SLUICE_STREAM_TOKEN_SECRET' | 'SLUICE_ADMIN_TOKEN' | 'random';
  /** True once no upstream is configured and every request is answered by the demo model. */
  readonly demoMode: boolean;
  /** Streams in flight right now. */
  activeStreams(): number;
  /**
   * Graceful shutdown: readiness turns 503, the listener closes, streams in flight get `drainMs` to
   * finish, then end with an `error` event `shutting_down`. With Redis, readers of resumable streams are
   * told to reconnect (`retry:`) and closed at once, to resume on another instance meanwhile.
   */
  shutdown(): Promise<void>;
  /** Immediate stop: every stream is ended as in shutdown, without the drain period. */
  close(): Promise<void>;
}

/**
 * Starts Sluice and resolves once it listens. Rejects with a `SettingsError` for a bad setting and a
 * `ListenError` when its address cannot be listened on (nothing is left open then).
 */
export async function startSluice(overrides: Partial<Settings> = {}, options: StartOptions = {}): Promise<SluiceInstance> {
  const settings = loadSettings(options.environment ?? {}, overrides);
  const redact = createRedactor(configuredSecrets(settings));
  const tls = readTlsIdentity(settings);
  const logger = createLogger(settings.logLevel, options.logDestination, redact, options.workerId === undefined ? {} : { worker: options.workerId });
  const pools = createUpstreamPools({ extraCa: readUpstreamCa(settings) });
  const { providers, defaultProvider, defaultModel } = createProviders(settings, pools);
  const demoMode = defaultProvider === undefined;
  const demo = createDemoProvider({ tokensPerSecond: settings.demoTokensPerSecond, firstTokenDelayMs: settings.demoFirstTokenDelayMs });
  const effectiveSettings: Settings = { ...settings, defaultModel: settings.defaultModel || (defaultModel ?? demoModelName) };
  const streams = new StreamRegistry();
  const metrics = createMetrics();
  const access = await createAccessControl(effectiveSettings, logger, metrics);
  const open = !access.directory.required();
  const refusal = open ? openAccessRefusal(effectiveSettings) : undefined;
  if (refusal !== undefined) {
    await Promise.all([access.close(), pools.close()]);
    throw new SettingsError(refusal);
  }
  // Loaded only when configured: without an endpoint no OpenTelemetry code runs at all.
  const telemetry =
    settings.otelEndpoint === undefined
      ? undefined
      : await createTelemetry({ endpoint: settings.otelEndpoint, serviceName: settings.otelServiceName, metricExportIntervalMs: settings.otelMetricExportIntervalMs });
  const state: ServerState = {
    settings: effectiveSettings,
    logger,
    metrics,
    access,
    routeModel: createModelRouter({
      providers,
      defaultProvider,
      demo,
      demoModel: demoModelName,
      defaultModel: effectiveSettings.defaultModel,
      models: settings.models,
      routes: settings.routes,
    }),
    streams,
    // Called only once the server runs, after `state` exists: a stream taken over from a dead instance.
    hub: await createStreamHub(
      effectiveSettings,
      logger,
      (orphan) => {
        takeOverStream(state, orphan).catch((error: unknown) => logger.error({ stream_id: orphan.meta.streamId, err: error }, 'taking over a stream failed'));
      },
      options.workerId,
    ),
    retrieval: createLazyRetrievalStore(effectiveSettings, logger),
    telemetry,
    redact,
    eventLoopLag: monitorEventLoopLag(),
    draining: false,
    startedAt: Math.floor(Date.now() / 1000),
  };
  const releaseStrayErrors = options.containStrayErrors ? containStrayErrors(logger, state.metrics) : undefined;
  const closeServices = async (): Promise<void> => {
    await pools.close();
    await access.close();
    await state.hub.close();
    await state.retrieval.close();
    await telemetry?.shutdown();
    releaseStrayErrors?.();
    state.eventLoopLag[Symbol.dispose]();
  };
  const listener = createListener((request, response) => void handleRequest(state, request, response), tls);
  const server = listener.server;
  applyConnectionLimits(server, settings);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Node's default backlog (511) overflowed when 9,800 streams opened at 2,000/s (connections reset);
      // the kernel still caps it at net.core.somaxconn.
      server.listen({ port: settings.port, host: settings.host, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await closeServices();
    throw toListenError(error as NodeJS.ErrnoException, settings.host, settings.port);
  }
  const port = (server.address() as AddressInfo).port;
  let admin: AdminListener | undefined;
  if (settings.adminPort !== undefined) {
    try {
      admin = await startAdminListener(state, settings.host, settings.adminPort);
    } catch (error) {
      server.close();
      await closeServices();
      throw toListenError(error as NodeJS.ErrnoException, settings.host, settings.adminPort);
    }
  }
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;

  let stopping: Promise<void> | undefined;
  const stop = (drainMs: number): Promise<void> =>
    (stopping ??= (async () => {
      state.draining = true;
      // With a shared hub, clients resume on another instance while the generations go on here.
      if (state.hub.shared) streams.sendReadersElsewhere();
      // A load balancer's next probe on a keep-alive connection reads the 503 of /readyz, and any other
      // request a 503 `shutting_down` with `connection: close`; h2 clients get a GOAWAY.
      const closed = listener.stopAccepting();
      if (streams.size > 0 && drainMs > 0) await Promise.race([streams.whenEmpty(), sleep(drainMs)]);
      streams.abortAll(new StreamAbort('shutdown', 'Sluice is shutting down; reconnect to another instance'));
      await Promise.race([streams.whenEmpty(), sleep(1000)]);
      listener.closeAll();
      await closed;
      await admin?.close();
      await closeServices();
      logger.flush();
    })());

  return {
    url: `${listener.secure ? 'https' : 'http'}://${host}:${port}`,
    port,
    settings: effectiveSettings,
    server,
    adminUrl: admin?.url,
    access: open ? 'open' : 'keys',
    streamTokenSecret: access.streamTokens.secretSource,
    logger,
    demoMode,
    activeStreams: () => streams.size,
    shutdown: () => stop(effectiveSettings.drainMs),
    close: () => stop(0),
  };
}
