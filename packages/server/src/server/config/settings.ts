/**
 * Every setting Sluice has, in one table: its environment variable, default, and check. Values come from
 * the environment first, then the JSON config file named by `SLUICE_CONFIG`, then the default. A bad
 * value stops startup with a message naming the key and what is wrong.
 */

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defaultMaxEventBytes } from '../../providers/map-sse-stream.ts';
import { nearestName } from '../nearest-name.ts';
import { checkCorsOrigins, checkModelPrices, checkSecret } from './access-settings.ts';
import { checkProviders, checkRoutes, configuredProviderNames, unconfiguredRouteProvider } from './provider-settings.ts';

type Parse<T> = (text: string) => T;

interface SettingDefinition<T> {
  env: string;
  default: T;
  description: string;
  /** Turns a string from the environment into a value, or throws a message saying what is wrong. */
  parse: Parse<T>;
  /** Checks a value from the config file (JSON types), or throws a message saying what is wrong. */
  check: (value: unknown) => T;
  /** Never printed (API keys). */
  secret?: boolean;
}

function milliseconds(env: string, defaultValue: number, description: string, minimum = 1): SettingDefinition<number> {
  return integer(env, defaultValue, description, minimum, 24 * 60 * 60 * 1000);
}

function integer(env: string, defaultValue: number, description: string, minimum: number, maximum: number): SettingDefinition<number> {
  const check = (value: unknown): number => {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`expected a whole number, got ${JSON.stringify(value)}`);
    if (value < minimum || value > maximum) throw new Error(`expected a number from ${minimum} to ${maximum}, got ${value}`);
    return value;
  };
  return {
    env,
    default: defaultValue,
    description,
    check,
    parse: (text) => {
      if (!/^\s*-?\d+\s*$/.test(text)) throw new Error(`expected a whole number, got ${JSON.stringify(text)}`);
      return check(Number(text));
    },
  };
}

/** A count of processes, or `auto`: as many as the cores Node sees (`os.availableParallelism()`). */
function processCount(env: string, description: string): SettingDefinition<number> {
  const maximum = 256;
  const check = (value: unknown): number => {
    if (value === 'auto') return availableParallelism();
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maximum) {
      throw new Error(`expected "auto" or a whole number from 1 to ${maximum}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return { env, default: 1, description, check, parse: (text) => check(/^\s*\d+\s*$/.test(text) ? Number(text) : text.trim()) };
}

function string(env: string, defaultValue: string, description: string, pattern?: { test: RegExp; expected: string }): SettingDefinition<string> {
  const check = (value: unknown): string => {
    if (typeof value !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
    if (pattern && !pattern.test.test(value)) throw new Error(`expected ${pattern.expected}, got ${JSON.stringify(value)}`);
    return value;
  };
  return { env, default: defaultValue, description, check, parse: check };
}

function optionalString(env: string, description: string, secret = false): SettingDefinition<string | undefined> {
  const check = (value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new Error('expected a string');
    return value === '' ? undefined : value;
  };
  return { env, default: undefined, description, check, parse: check, secret };
}

function url(env: string, defaultValue: string | undefined, description: string): SettingDefinition<string | undefined> {
  const check = (value: unknown): string | undefined => {
    if (value === undefined || value === '') return defaultValue;
    if (typeof value !== 'string') throw new Error(`expected a URL string, got ${JSON.stringify(value)}`);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new Error(`expected an http(s) URL, got ${JSON.stringify(value)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`expected an http(s) URL, got ${JSON.stringify(value)}`);
    return value.replace(/\/+$/, '');
  };
  return { env, default: defaultValue, description, check, parse: check };
}

function modelMap(env: string, description: string): SettingDefinition<Record<string, string>> {
  const check = (value: unknown): Record<string, string> => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected an object mapping model names to upstream model names');
    for (const [name, target] of Object.entries(value)) {
      if (typeof target !== 'string' || target === '') throw new Error(`model ${JSON.stringify(name)} must map to a non-empty string`);
    }
    return value as Record<string, string>;
  };
  return {
    env,
    default: {},
    description,
    check,
    parse: (text) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new Error('expected a JSON object such as {"fast":"gpt-4o-mini"}');
      }
      return check(value);
    },
  };
}

/** A JSON value (an object, in practice) from the environment or the config file, checked by `check`. */
function json<T>(env: string, defaultValue: T, description: string, example: string, check: (value: unknown) => T, secret = false): SettingDefinition<T> {
  return {
    env,
    default: defaultValue,
    description,
    check,
    secret,
    parse: (text) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new Error(`expected JSON such as ${example}`);
      }
      return check(value);
    },
  };
}

function hostList(env: string, description: string): SettingDefinition<string[]> {
  const check = (value: unknown): string[] => {
    const entries = typeof value === 'string' ? value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '') : value;
    if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === 'string' && /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d+)?$/i.test(entry))) {
      throw new Error(`expected host names (or host:port), comma-separated, got ${JSON.stringify(value)}`);
    }
    return entries.map((entry) => entry.toLowerCase());
  };
  return { env, default: [], description, check, parse: check };
}

function redisUrl(env: string, description: string): SettingDefinition<string | undefined> {
  const check = (value: unknown): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !/^rediss?:\/\/[^/]/.test(value)) throw new Error(`expected a redis:// or rediss:// URL, got ${JSON.stringify(value)}`);
    return value;
  };
  return { env, default: undefined, description, check, parse: check, secret: true };
}

function postgresUrl(env: string, description: string): SettingDefinition<string | undefined> {
  const check = (value: unknown): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !/^postgres(ql)?:\/\/./.test(value)) throw new Error('expected a postgres:// or postgresql:// URL');
    return value;
  };
  return { env, default: undefined, description, check, parse: check, secret: true };
}

function boolean(env: string, defaultValue: boolean, description: string): SettingDefinition<boolean> {
  const check = (value: unknown): boolean => {
    if (typeof value !== 'boolean') throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
    return value;
  };
  return {
    env,
    default: defaultValue,
    description,
    check,
    parse: (text) => {
      const normalized = text.trim().toLowerCase();
      if (normalized === 'true' || normalized === '1') return true;
      if (normalized === 'false' || normalized === '0') return false;
      throw new Error(`expected true or false, got ${JSON.stringify(text)}`);
    },
  };
}

function optionalPort(env: string, description: string): SettingDefinition<number | undefined> {
  const port = integer(env, 0, description, 0, 65535);
  const check = (value: unknown): number | undefined => (value === undefined ? undefined : port.check(value));
  return { env, default: undefined, description, check, parse: port.parse };
}

function secret(env: string, description: string, minimumLength: number): SettingDefinition<string | undefined> {
  const check = checkSecret(minimumLength);
  return { env, default: undefined, description, check, parse: check, secret: true };
}

function corsOrigins(env: string, description: string): SettingDefinition<string[]> {
  return { env, default: [], description, check: checkCorsOrigins, parse: checkCorsOrigins };
}

export const settingDefinitions = {
  port: integer('PORT', 8787, 'TCP port to listen on (0 picks a free one).', 0, 65535),
  host: string('HOST', '127.0.0.1', 'Address to listen on; 0.0.0.0 for all interfaces.'),
  workers: processCount('SLUICE_WORKERS', 'Worker processes sharing the port (node:cluster), or "auto" for one per core Node sees. A resume or a DELETE works on whichever worker it lands: through Redis when REDIS_URL is set, else through the primary process. SIGTERM drains them all.'),
  tlsCert: optionalString('SLUICE_TLS_CERT', 'PEM file of the certificate chain to serve TLS with (with SLUICE_TLS_KEY): the port then speaks h2 and HTTP/1.1 over TLS, chosen by ALPN. Without it: cleartext HTTP/1.1 and h2 with prior knowledge.'),
  tlsKey: optionalString('SLUICE_TLS_KEY', 'PEM file of the private key of SLUICE_TLS_CERT.'),
  openaiApiKey: optionalString('OPENAI_API_KEY', 'Key for the OpenAI-compatible upstream. Without it and without OPENAI_BASE_URL, Sluice serves only the built-in demo model.', true),
  openaiBaseUrl: url('OPENAI_BASE_URL', undefined, 'Base URL of the OpenAI-compatible upstream (OpenAI, vLLM, Ollama, llama.cpp server). Default https://api.openai.com/v1 when a key is set.'),
  openaiHttp2: boolean('SLUICE_OPENAI_HTTP2', true, 'Offer h2 to the OpenAI upstream when its base URL is https (ALPN picks it; one connection carries up to 100 streams). false keeps HTTP/1.1.'),
  defaultModel: string('SLUICE_DEFAULT_MODEL', '', 'Model used when a request names none. Default: sluice-demo in demo mode, gpt-4o-mini otherwise.'),
  models: modelMap('SLUICE_MODELS', 'Model name map, JSON: {"alias":"upstream-model"}. Unmapped names pass through unchanged; routes see the mapped name.'),
  anthropicApiKey: optionalString('ANTHROPIC_API_KEY', 'Key for Anthropic. With it (or ANTHROPIC_BASE_URL) the "anthropic" provider exists, and claude-* models go to it.', true),
  anthropicBaseUrl: url('ANTHROPIC_BASE_URL', undefined, 'API root of the Anthropic upstream, as the Anthropic SDKs take it. Default https://api.anthropic.com when a key is set.'),
  anthropicHttp2: boolean('SLUICE_ANTHROPIC_HTTP2', true, 'Offer h2 to the Anthropic upstream when its base URL is https. false keeps HTTP/1.1.'),
  anthropicMaxTokens: integer('SLUICE_ANTHROPIC_MAX_TOKENS', 4096, 'max_tokens sent to Anthropic when a request sets no limit (Anthropic requires one).', 1, 1_000_000),
  providers: json(
    'SLUICE_PROVIDERS',
    {},
    'More upstreams, JSON: {"<name>":{"type":"openai-chat|openai-responses|anthropic-messages","baseUrl":"...","apiKey":"...","continuation":"prefill|continue-final-message|instruction","http2":true}}; "http2": false keeps an https upstream on HTTP/1.1. continuation: how a cut answer is continued (default prefill for anthropic-messages, instruction otherwise).',
    '{"local":{"type":"openai-chat","baseUrl":"http://localhost:8000/v1"}}',
    checkProviders,
    true,
  ),
  routes: json(
    'SLUICE_ROUTES',
    {},
    'Routes, JSON: {"<model or pattern with *>":{"provider":"<name>","model":"<upstream model>","fallbacks":[{"provider":"<name>","model":"..."}],"continueOnFailure":{"on":["connection","timeout","upstream_error"],"max":2}}}. Exact names win over patterns; patterns are tried in order. Unrouted claude-* go to "anthropic" when configured, the rest to "openai" (else "anthropic"). continueOnFailure (off by default): continue an answer whose upstream fails mid-stream.',
    '{"claude-*":{"provider":"anthropic"}}',
    checkRoutes,
  ),
  upstreamCaFile: optionalString('SLUICE_UPSTREAM_CA_FILE', 'PEM file of certificates to trust for TLS upstreams besides Node\'s own roots (a private CA).'),
  fallbackBackoffMs: milliseconds('SLUICE_FALLBACK_BACKOFF_MS', 200, 'Wait before a route\'s first fallback, doubling for each one after; a longer upstream retry-after wins.', 0),
  maxRetryAfterMs: milliseconds('SLUICE_MAX_RETRY_AFTER_MS', 10_000, 'Longest upstream retry-after honoured before trying that provider again; a target that must wait longer is skipped.', 0),
  fallbackAfterMs: milliseconds('SLUICE_FALLBACK_AFTER_MS', 15_000, 'While a route has a fallback left, how long an upstream may take to answer before the fallback is tried.'),
  heartbeatMs: milliseconds('SLUICE_HEARTBEAT_MS', 15_000, 'Write a `: ping` comment after this long without a write, before the first token too.'),
  firstTokenTimeoutMs: milliseconds('SLUICE_FIRST_TOKEN_TIMEOUT_MS', 60_000, 'Longest wait from the request to the first token (upstream headers included).'),
  idleTimeoutMs: milliseconds('SLUICE_IDLE_TIMEOUT_MS', 30_000, 'Longest gap between two tokens. Heartbeats do not reset it.'),
  totalTimeoutMs: milliseconds('SLUICE_TOTAL_TIMEOUT_MS', 600_000, 'Longest total duration of one stream.'),
  flushMs: integer('SLUICE_FLUSH_MS', 0, 'Flush budget: the most an event may wait so that it leaves with the next ones in one write (0: each as soon as the socket takes it). Events that pile up while a client is busy leave together whatever the budget.', 0, 1000),
  sendTimeoutMs: milliseconds('SLUICE_SEND_TIMEOUT_MS', 30_000, 'A client whose socket takes nothing for this long is cut off and the upstream aborted.'),
  drainMs: milliseconds('SLUICE_DRAIN_MS', 10_000, 'On SIGTERM, how long streams in flight may run before they end with `shutting_down`.', 0),
  allowedHosts: hostList(
    'SLUICE_ALLOWED_HOSTS',
    'Host names (or host:port) Sluice answers to, comma-separated; any other Host header gets 403, against DNS rebinding. Probes (/healthz, /readyz) answer any. Empty: every host.',
  ),
  maxStreams: integer('SLUICE_MAX_STREAMS', 0, 'Streams in flight at once on this instance; a new one past it gets 503 overloaded with retry-after. 0 for no cap.', 0, 1_000_000),
  maxEventLoopLagMs: milliseconds('SLUICE_MAX_EVENT_LOOP_LAG_MS', 500, 'While the event loop runs this much late (smoothed over its last few 100 ms probes), new streams get 503 overloaded with retry-after. 0 to never shed on lag.', 0),
  headersTimeoutMs: milliseconds('SLUICE_HEADERS_TIMEOUT_MS', 5_000, 'A client must send a request\'s headers within this long of connecting (or of its previous response); 408 and closed after.'),
  bodyTimeoutMs: milliseconds('SLUICE_BODY_TIMEOUT_MS', 30_000, 'A client must send a whole request, body included, within this long; 408 and closed after. The response is not limited by it.'),
  keepAliveTimeoutMs: milliseconds('SLUICE_KEEP_ALIVE_TIMEOUT_MS', 5_000, 'An idle keep-alive connection is closed after this long without a request (and Node\'s 1 s grace, so that a client honouring the advertised timeout closes first).'),
  maxConnections: integer('SLUICE_MAX_CONNECTIONS', 16_384, 'Client connections open at once; one past it is closed at once. 0 for no cap beyond the process\'s file limit.', 0, 1_000_000),
  maxConnectionsPerAddress: integer(
    'SLUICE_MAX_CONNECTIONS_PER_ADDRESS',
    0,
    'Client connections open at once from one IP address; one past it is closed at once. 0 (the default) for no cap: behind a proxy every client has the proxy\'s address.',
    0,
    1_000_000,
  ),
  maxBodyBytes: integer('SLUICE_MAX_BODY_BYTES', 1_048_576, 'Largest request body accepted (413 above).', 1, 64 * 1_048_576),
  maxUpstreamEventBytes: integer(
    'SLUICE_MAX_UPSTREAM_EVENT_BYTES',
    defaultMaxEventBytes,
    'Largest line or event an upstream may send, counted in decoded characters (a byte each for ASCII); past it the stream ends in upstream_error instead of buffering without end.',
    1024,
    256 * 1_048_576,
  ),
  redisUrl: redisUrl('REDIS_URL', 'Redis for resumable streams shared by every instance (Redis Streams log, pub/sub cancel). Without it a stream resumes only on the instance that runs it. If Redis is unreachable, streams stay on their instance until it is back.'),
  resumeGraceMs: milliseconds('SLUICE_RESUME_GRACE_MS', 10_000, 'A resumable stream whose last reader left keeps generating this long for a reconnect, then is aborted. Longer than SLUICE_SSE_RETRY_MS.'),
  sseRetryMs: milliseconds('SLUICE_SSE_RETRY_MS', 1_000, 'The `retry:` sent on resumable streams: how long an EventSource waits before it reconnects.'),
  resumeLogEntries: integer('SLUICE_RESUME_LOG_ENTRIES', 10_000, 'Per resumable stream: parts kept for replay (at least this many); a reader further behind gets a `gone` error.', 16, 1_000_000),
  resumeLogBytes: integer(
    'SLUICE_RESUME_LOG_BYTES',
    1_048_576,
    'Per resumable stream, in this process: the replay log keeps fewer parts when SLUICE_RESUME_LOG_ENTRIES of them would hold more than this many bytes (a stream with stalled readers keeps generating into it).',
    65_536,
    1024 * 1_048_576,
  ),
  resumeRetentionMs: milliseconds('SLUICE_RESUME_RETENTION_MS', 600_000, 'How long a resumable stream can still be replayed after its last part.'),
  redisOwnerTtlMs: milliseconds('SLUICE_REDIS_OWNER_TTL_MS', 3_000, 'With Redis: an instance that stops renewing its liveness key for this long is taken for dead: readers of its streams get an `error`, or, on a route with continueOnFailure, another instance takes them over.', 100),
  databaseUrl: postgresUrl('DATABASE_URL', 'PostgreSQL for document collections, shared by every instance using it. Without it collections live in the SQLite file SLUICE_RETRIEVAL_SQLITE_PATH.'),
  retrievalSqlitePath: string('SLUICE_RETRIEVAL_SQLITE_PATH', '.data/retrieval.db', 'The SQLite file of document collections when DATABASE_URL is not set (created on first use, with its folder). One Sluice process per file.'),
  embeddingsBaseUrl: url('SLUICE_EMBEDDINGS_BASE_URL', undefined, 'An OpenAI-compatible embeddings API root (https://api.openai.com/v1, http://localhost:11434/v1). With it, retrieval is hybrid: lexical and vector rankings fused.'),
  embeddingsApiKey: optionalString('SLUICE_EMBEDDINGS_API_KEY', 'Key for the embeddings endpoint.', true),
  embeddingsModel: string('SLUICE_EMBEDDINGS_MODEL', 'text-embedding-3-small', 'The embeddings model. Documents uploaded before it was set, or under another model, need uploading again to take part in vector ranking.'),
  retrievalTopK: integer('SLUICE_RETRIEVAL_TOP_K', 5, 'Sources retrieved for a request whose retrieval names no top_k.', 1, 50),
  maxUploadBytes: integer('SLUICE_MAX_UPLOAD_BYTES', 16 * 1_048_576, 'Largest document upload body (413 above); each document is also limited to 1 MiB of text, 100 per batch.', 1, 1024 * 1_048_576),
  requireKeys: boolean('SLUICE_REQUIRE_KEYS', false, 'Require a client key on every /v1 request even before the first key exists. Auth is on anyway as soon as a key exists.'),
  allowOpen: boolean('SLUICE_ALLOW_OPEN', false, 'Start without client keys on a non-loopback HOST while an upstream key is set: anyone who reaches Sluice spends that key.'),
  adminToken: secret('SLUICE_ADMIN_TOKEN', 'Bearer token of the admin API (/admin/keys) and, on the public port, of /metrics. Without it there is no admin API.', 16),
  adminPort: optionalPort('SLUICE_ADMIN_PORT', 'Serve /admin and /metrics on this port (on HOST) instead of the public one; /metrics needs no token there.'),
  corsOrigins: corsOrigins('SLUICE_CORS_ORIGINS', 'Origins whose pages may call Sluice from a browser: a comma-separated list (https://app.example.com) or *. None by default.'),
  keysSqlitePath: string('SLUICE_KEYS_SQLITE_PATH', '.data/keys.db', 'The SQLite file of client keys and their usage when DATABASE_URL is not set (created with the first key).'),
  keyCacheMs: milliseconds('SLUICE_KEY_CACHE_MS', 5_000, 'How long an instance trusts what it read of a key: a key revoked or changed elsewhere (another instance, the CLI) takes effect within this.', 0),
  defaultReservationTokens: integer('SLUICE_DEFAULT_RESERVATION_TOKENS', 1024, 'Completion tokens a request without max_tokens reserves against its key\'s tokens per minute until it settles.', 1, 1_000_000),
  modelPrices: json(
    'SLUICE_MODEL_PRICES',
    {},
    'Prices for budgets in dollars, JSON: {"<model or pattern with *>":{"input":<US$ per million prompt tokens>,"output":<per million completion tokens>}}, matched against the model name the client sent.',
    '{"gpt-4o-mini":{"input":0.15,"output":0.6}}',
    checkModelPrices,
  ),
  streamTokenSecret: secret('SLUICE_STREAM_TOKEN_SECRET', 'Signs stream tokens and chat page sessions; every instance needs the same. Default: derived from SLUICE_ADMIN_TOKEN, else random per process.', 32),
  streamTokenTtlMs: milliseconds('SLUICE_STREAM_TOKEN_TTL_MS', 600_000, 'Lifetime of a stream token from POST /v1/stream-tokens (for EventSource URLs).'),
  sessionTtlMs: milliseconds('SLUICE_SESSION_TTL_MS', 43_200_000, 'Lifetime of the chat page\'s session cookie (set by POST /v1/stream-tokens with {"cookie":true}).'),
  demoTokensPerSecond: integer('SLUICE_DEMO_TOKENS_PER_SECOND', 40, 'Pace of the built-in demo model.', 1, 100_000),
  demoFirstTokenDelayMs: milliseconds('SLUICE_DEMO_FIRST_TOKEN_DELAY_MS', 350, 'The demo model\'s "thinking" time before its first token.', 0),
  otelEndpoint: url(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    undefined,
    'OpenTelemetry: an OTLP/HTTP collector (http://localhost:4318). With it, a span per stream and the GenAI metrics are exported (/v1/traces, /v1/metrics); without it no telemetry code is loaded.',
  ),
  otelServiceName: string('OTEL_SERVICE_NAME', 'sluice', 'OpenTelemetry: the service.name of what Sluice exports.'),
  otelMetricExportIntervalMs: milliseconds('OTEL_METRIC_EXPORT_INTERVAL', 60_000, 'OpenTelemetry: how often metrics are exported, in milliseconds.', 100),
  logLevel: string('SLUICE_LOG_LEVEL', 'info', 'Log level: fatal, error, warn, info, debug, trace or silent.', {
    test: /^(fatal|error|warn|info|debug|trace|silent)$/,
    expected: 'one of fatal, error, warn, info, debug, trace, silent',
  }),
} as const;

type Definitions = typeof settingDefinitions;
export type SettingKey = keyof Definitions;
export type Settings = { [K in SettingKey]: Definitions[K] extends SettingDefinition<infer T> ? T : never };

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/**
 * Resolves every setting. `overrides` (used by `startSluice` in tests and embedding code) win over the
 * environment, which wins over the config file. A `SLUICE_*` variable that is no setting stops startup, as
 * an unknown key in the file does: a misspelt setting must not be ignored in silence.
 */
export function loadSettings(environment: NodeJS.ProcessEnv = process.env, overrides: Partial<Settings> = {}): Settings {
  checkVariableNames(environment);
  const file = readConfigFile(environment.SLUICE_CONFIG);
  const settings: Record<string, unknown> = {};
  // Where each value came from, as an error message names it; absent for a default.
  const sources: Partial<Record<SettingKey, string>> = {};
  for (const [key, definition] of Object.entries(settingDefinitions) as [SettingKey, SettingDefinition<unknown>][]) {
    if (key in overrides) {
      sources[key] = `setting ${key}`;
      settings[key] = checkWith(definition, (overrides as Record<string, unknown>)[key], sources[key]);
      continue;
    }
    const fromEnvironment = environment[definition.env];
    if (fromEnvironment !== undefined && fromEnvironment !== '') {
      sources[key] = definition.env;
      try {
        settings[key] = definition.parse(fromEnvironment);
      } catch (error) {
        throw new SettingsError(`Invalid ${definition.env}: ${(error as Error).message}`);
      }
      continue;
    }
    if (key in file.values) {
      sources[key] = `"${key}" in ${file.path}`;
      settings[key] = checkWith(definition, file.values[key], sources[key]);
    } else settings[key] = definition.default;
  }
  checkRouteProviders(settings as Settings, sources);
  checkResumeSettings(settings as Settings, sources);
  checkAdminPort(settings as Settings);
  checkTimeoutSettings(settings as Settings);
  checkTlsSettings(settings as Settings, sources);
  return settings as Settings;
}

/** Every variable Sluice reads, `SLUICE_CONFIG` included: a `SLUICE_*` variable must be one of them. */
const variableNames = [...Object.values(settingDefinitions).map((definition) => definition.env), 'SLUICE_CONFIG'];

function checkVariableNames(environment: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(environment)) {
    if (!name.startsWith('SLUICE_') || variableNames.includes(name)) continue;
    // Compared without the prefix, so that SLUICE_PORT finds PORT and SLUICE_OPENAI_API_KEY finds OPENAI_API_KEY.
    const nearest = nearestName(name, variableNames, { comparable: (text) => text.replace(/^SLUICE_/, '') });
    throw new SettingsError(`Unknown variable ${name}; did you mean ${nearest}? Every SLUICE_* variable must be a setting (sluice --help lists them)`);
  }
}

/** Every route must name a provider that exists; said at startup rather than on the first request. */
function checkRouteProviders(settings: Settings, sources: Partial<Record<SettingKey, string>>): void {
  const problem = unconfiguredRouteProvider(settings.routes, configuredProviderNames(settings));
  if (problem) throw new SettingsError(`Invalid ${sources.routes ?? settingDefinitions.routes.env}: ${problem}`);
}

/**
 * An EventSource waits `sseRetryMs` before it reconnects, so a grace period no longer than that aborts a
 * stream its reader was coming back to. The message blames what was set, not the default beside it.
 */
function checkResumeSettings(settings: Settings, sources: Partial<Record<SettingKey, string>>): void {
  const { resumeGraceMs, sseRetryMs } = settings;
  if (resumeGraceMs > sseRetryMs) return;
  const grace = sources.resumeGraceMs;
  const retry = sources.sseRetryMs;
  const why = 'an EventSource waits the retry before it reconnects';
  if (grace !== undefined && retry !== undefined) {
    throw new SettingsError(`Invalid ${grace} and ${retry}: the resume grace period (${resumeGraceMs} ms) must be longer than the SSE retry (${sseRetryMs} ms); ${why}`);
  }
  if (retry !== undefined) {
    throw new SettingsError(`Invalid ${retry}: ${sseRetryMs} must be shorter than ${settingDefinitions.resumeGraceMs.env} (${resumeGraceMs}, the default); ${why}`);
  }
  throw new SettingsError(`Invalid ${grace ?? settingDefinitions.resumeGraceMs.env}: ${resumeGraceMs} must be longer than ${settingDefinitions.sseRetryMs.env} (${sseRetryMs}, the default); ${why}`);
}

function checkAdminPort(settings: Settings): void {
  if (settings.adminPort !== undefined && settings.adminPort !== 0 && settings.adminPort === settings.port) {
    throw new SettingsError(`Invalid SLUICE_ADMIN_PORT: ${settings.adminPort} is PORT too; give the admin surface a port of its own, or leave it unset to share PORT`);
  }
}

function checkTimeoutSettings(settings: Settings): void {
  // The body timeout runs from the connection too, so it covers the headers' time.
  if (settings.headersTimeoutMs > settings.bodyTimeoutMs) {
    throw new SettingsError(`Invalid SLUICE_HEADERS_TIMEOUT_MS: ${settings.headersTimeoutMs} must not be longer than SLUICE_BODY_TIMEOUT_MS (${settings.bodyTimeoutMs})`);
  }
}

/** A certificate without its key (or a key without its certificate) is a half-made TLS setup: say which half is missing. */
function checkTlsSettings(settings: Settings, sources: Partial<Record<SettingKey, string>>): void {
  if ((settings.tlsCert === undefined) === (settings.tlsKey === undefined)) return;
  const [given, missing] = settings.tlsCert === undefined ? (['tlsKey', 'tlsCert'] as const) : (['tlsCert', 'tlsKey'] as const);
  throw new SettingsError(`${sources[given] ?? settingDefinitions[given].env} is set without ${settingDefinitions[missing].env}: TLS needs both`);
}

function checkWith(definition: SettingDefinition<unknown>, value: unknown, where: string): unknown {
  try {
    return definition.check(value);
  } catch (error) {
    throw new SettingsError(`Invalid ${where} (${definition.env}): ${(error as Error).message}`);
  }
}

function readConfigFile(path: string | undefined): { path: string; values: Record<string, unknown> } {
  if (!path) return { path: '', values: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SettingsError(`Cannot read SLUICE_CONFIG file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw new SettingsError(`SLUICE_CONFIG file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new SettingsError(`SLUICE_CONFIG file ${path} must hold a JSON object of settings`);
  }
  for (const key of Object.keys(values)) {
    if (!(key in settingDefinitions)) {
      throw new SettingsError(`Unknown setting "${key}" in ${path}; did you mean "${nearestName(key, Object.keys(settingDefinitions))}"? (sluice --help lists them all)`);
    }
  }
  return { path, values: values as Record<string, unknown> };
}

/** The `--help` text: every setting with its variable, default and meaning. */
export function describeSettings(): string {
  const lines = ['Usage: sluice [--help]', '       sluice ingest <folder> --collection <name>   (see sluice ingest --help)', '       sluice keys create|list|update|revoke           (see sluice keys --help)', '', 'Settings (environment variable, then "key" in the SLUICE_CONFIG JSON file; default):', ''];
  for (const [key, definition] of Object.entries(settingDefinitions) as [string, SettingDefinition<unknown>][]) {
    const shown = definition.default === undefined ? '(none)' : JSON.stringify(definition.default);
    lines.push(`  ${definition.env.padEnd(34)} "${key}"  default ${shown}`, `      ${definition.description}`);
  }
  lines.push('', '  SLUICE_CONFIG                      path to a JSON file holding any of the keys above');
  return lines.join('\n');
}
