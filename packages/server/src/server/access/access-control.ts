import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { type ChatRequest, SluiceError, type StreamMeta, type Usage } from '@sluice/protocol';
import { type Admission, AdmissionRefused, admitChat, type AdmissionServices, openAdmission } from '../../pipeline/access/admit-chat.ts';
import { createMemoryRateLimiter } from '../../pipeline/access/memory-rate-limiter.ts';
import { createPriceList } from '../../pipeline/access/model-prices.ts';
import type { RateLimiter } from '../../pipeline/access/rate-limiter.ts';
import { createRedisRateLimiter } from '../../pipeline/access/redis-rate-limiter.ts';
import type { ClientKeyRecord } from '../../keys/key-store.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import type { SluiceMetrics } from '../observability/metrics.ts';
import { createCors } from './cors.ts';
import { openAccessRefusal } from './open-access.ts';
import { createKeyDirectory, type KeyDirectory } from './key-directory.ts';
import { setRateLimitHeaders } from './rate-limit-headers.ts';
import { readCredential, streamTokenParameter } from './read-credential.ts';
import { createStreamTokens, type StreamTokens } from './stream-tokens.ts';

/**
 * Client keys, limits and budgets, at the two points of a request where they apply: `authenticate`
 * before a `/v1` route runs (401), `admit` before a chat is routed (403, 429) with `settle` once its
 * stream is over. In open mode (no key exists and SLUICE_REQUIRE_KEYS is off) both let everything through.
 */
export interface AccessControl {
  readonly directory: KeyDirectory;
  readonly streamTokens: StreamTokens;
  /** The limiter behind tokens and requests per minute (Redis with REDIS_URL, else memory). */
  readonly limiter: RateLimiter;
  /** SLUICE_CORS_ORIGINS: true when it answered the request (a preflight); see `createCors`. */
  answerCors(request: HttpRequest, response: HttpResponse): boolean;
  /**
   * Who sends `request`, remembered for this response. Throws 401 when keys are required and the
   * credential is missing, unknown, revoked or expired. Takes the stream token out of `url`, so that no
   * route ever sees it.
   */
  authenticate(request: HttpRequest, response: HttpResponse, url: URL): Promise<void>;
  /** The key `authenticate` found for this response; undefined in open mode. */
  keyOf(response: HttpResponse): ClientKeyRecord | undefined;
  /** The access stage of a chat: see `admitChat`. Sets the rate-limit headers on the response, refused or not. */
  admit(response: HttpResponse, request: ChatRequest, promptCharacters: number): Promise<Admission>;
  /** Settles an admission in the background (shutdown waits for it): never throws, logs a failure. */
  settle(admission: Admission, usage: Usage | undefined, model: string): void;
  /** False when the stream belongs to another key: the caller must get the 404 of an unknown stream. */
  mayUseStream(response: HttpResponse, meta: StreamMeta): boolean;
  /** Waits for pending settles, then closes the store and the limiter. */
  close(): Promise<void>;
}

/** Ready to serve once it resolves: whether keys exist is known, the limiter connected (or its outage logged). */
export async function createAccessControl(settings: Settings, logger: Logger, metrics: SluiceMetrics): Promise<AccessControl> {
  const directory = createKeyDirectory(settings, logger, openAccessRefusal(settings) === undefined);
  const streamTokens = createStreamTokens(settings);
  const [limiter] = await Promise.all([
    settings.redisUrl === undefined ? createMemoryRateLimiter() : createRedisRateLimiter({ url: settings.redisUrl, logger }),
    directory.start(),
  ]);
  const admission: AdmissionServices = {
    limiter,
    priceOf: createPriceList(settings.modelPrices),
    defaultReservationTokens: settings.defaultReservationTokens,
    spendOf: directory.spendOf,
    charge: directory.charge,
  };
  const callers = new WeakMap<HttpResponse, ClientKeyRecord>();
  const settling = new Set<Promise<void>>();

  const refuse = (response: HttpResponse, reason: 'missing' | 'invalid' | 'revoked' | 'expired', message: string): never => {
    metrics.authFailures.inc({ reason });
    response.setHeader('www-authenticate', 'Bearer realm="sluice"');
    throw new SluiceError('unauthorized', message);
  };

  return {
    directory,
    streamTokens,
    limiter,
    answerCors: createCors(settings.corsOrigins),
    async authenticate(request, response, url) {
      const required = directory.required();
      const credential = required ? readCredential(request, url) : undefined;
      // Checked on the string first: reading `searchParams` builds them, a cost on every request.
      if (url.search.includes(streamTokenParameter)) url.searchParams.delete(streamTokenParameter);
      if (!required) return;
      if (credential === undefined) {
        return refuse(response, 'missing', 'A client key is required: send it as "Authorization: Bearer sk-sluice-…" or "x-api-key: sk-sluice-…" (or a stream token from POST /v1/stream-tokens)');
      }
      let key: ClientKeyRecord | undefined;
      if (credential.kind === 'key') key = await directory.findBySecret(credential.secret);
      else {
        const keyId = streamTokens.verify(credential.token);
        key = keyId === undefined ? undefined : await directory.findById(keyId);
        if (key === undefined) return refuse(response, 'invalid', 'The stream token is not valid or has expired: get a new one from POST /v1/stream-tokens');
      }
      if (key === undefined) return refuse(response, 'invalid', 'The client key is not valid');
      if (key.revokedAt !== null) return refuse(response, 'revoked', 'The client key was revoked');
      if (key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now()) return refuse(response, 'expired', `The client key expired at ${key.expiresAt}`);
      callers.set(response, key);
    },
    keyOf: (response) => callers.get(response),
    async admit(response, request, promptCharacters) {
      const key = callers.get(response);
      if (key === undefined) return openAdmission;
      try {
        const admitted = await admitChat(admission, key, request, promptCharacters);
        setRateLimitHeaders(response, admitted.rateLimits);
        metrics.keyRequests.inc({ key: key.name, outcome: 'admitted' });
        return admitted;
      } catch (error) {
        if (error instanceof AdmissionRefused) {
          setRateLimitHeaders(response, error.rateLimits);
          // The SDKs retry a 429 unless told not to: waiting never fixes a spent budget.
          if (error.code === 'budget_exceeded') response.setHeader('x-should-retry', 'false');
          metrics.keyRequests.inc({ key: key.name, outcome: error.code });
        }
        throw error;
      }
    },
    settle(admitted, usage, model) {
      if (usage !== undefined) {
        const key = admitted.keyName ?? '';
        metrics.usageTokens.inc({ key, type: 'prompt' }, usage.promptTokens);
        metrics.usageTokens.inc({ key, type: 'completion' }, usage.completionTokens);
      }
      const pending = admitted.settle(usage, model).catch((error: unknown) => {
        logger.warn({ err: error, key_id: admitted.keyId }, 'settling a stream’s usage failed: its key was not charged');
      });
      settling.add(pending);
      void pending.finally(() => settling.delete(pending));
    },
    mayUseStream(response, meta) {
      const key = callers.get(response);
      return meta.ownerKeyId === undefined || key === undefined || meta.ownerKeyId === key.id;
    },
    async close() {
      await Promise.allSettled([...settling]);
      await Promise.allSettled([directory.close(), limiter.close()]);
    },
  };
}
