import { randomUUID } from 'node:crypto';
import { type ChatRequest, type ErrorPart, isTerminalPart, type StreamMeta } from '@sluice/protocol';
import { createRedisConnection, redactUrl } from '../redis-connection.ts';
import { fellBehind, storeUnavailable, unknownStream } from './hub-errors.ts';
import { LocalStreams } from './local-streams.ts';
import { activeStreamKey, cancelChannel, parseEntries, parseEntry, releaseOwner, renewOwner, resultsOf, streamKeys } from './redis-keys.ts';
import { RedisMirror } from './redis-mirror.ts';
import { endOrphanedStream, openRemoteReader } from './redis-reader.ts';
import type { CancelOutcome, HubCreateOptions, HubProducer, HubReader, HubStreamHandlers, HubStreamOptions, OrphanedStream, StreamHub } from './stream-hub.ts';

export interface HubLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface RedisHubOptions extends HubStreamOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Without a renewal for this long, an owner is taken for dead and its readers get a terminal `error`. */
  ownerTtlMs: number;
  logger: HubLogger;
  /**
   * Continues a stream whose owner died, once this instance claimed it (only streams created with a
   * `takeoverRequest`). Without it such streams end with an `error`, as every other orphan does.
   */
  takeOver?(orphan: OrphanedStream): void;
}

/** A command that gets no answer in this long fails, so an unreachable Redis never hangs a request. */
const commandTimeoutMs = 2_000;

const cancelledPart: ErrorPart = { type: 'error', code: 'cancelled', message: 'The stream was cancelled', retryable: false };

/**
 * The shared hub: streams generated here live in memory (readers on this instance are served from it
 * without a Redis round trip) and are mirrored to Redis Streams in batches, so that any instance can
 * replay and tail them; a cancel reaches the owner through pub/sub; the owner renews a liveness key so
 * that readers elsewhere learn of its death.
 *
 * Fallback when Redis is unreachable (at start or later): nothing crashes or hangs (commands fail fast,
 * the client reconnects in the background). A stream that cannot be mirrored is served from this
 * instance only, as with the memory hub; a resume of a stream this instance does not hold answers 503
 * `overloaded` (retryable), since the stream may exist; readers tailing another instance's stream get a
 * retryable `error` event. Each outage is logged once, and its end once.
 */
export async function createRedisHub(options: RedisHubOptions): Promise<StreamHub> {
  const instanceId = randomUUID();
  const { logger } = options;
  const streams = new LocalStreams(options);
  const redis = createRedisConnection(options.url, `sluice-${instanceId}`, commandTimeoutMs);
  const subscriber = redis.duplicate({ enableOfflineQueue: true, connectionName: `sluice-${instanceId}-cancel` });
  const where = redactUrl(options.url);
  let reachable = true;
  const onRedisError = (error: Error): void => {
    if (!reachable) return;
    reachable = false;
    logger.warn({ redis: where, err: error }, 'Redis is unreachable: resumable streams stay on the instance that runs them until it is back');
  };
  redis.on('error', onRedisError);
  subscriber.on('error', onRedisError);
  redis.on('ready', () => {
    if (reachable) return;
    reachable = true;
    logger.info({ redis: where }, 'Redis is reachable again: new resumable streams are shared');
  });
  subscriber.on('message', (_channel: string, streamId: string) => streams.get(streamId)?.cancel());
  // On every (re)connection, including the first one after an outage at start: SUBSCRIBE is idempotent.
  subscriber.on('ready', () => {
    subscriber.subscribe(cancelChannel).catch(() => {
      // Reported through the 'error' event; the next 'ready' subscribes again.
    });
  });
  await Promise.allSettled([redis.connect(), subscriber.connect()]);

  // A reader renews its presence between reads, so a read must return well within the grace period.
  const blockMs = Math.max(20, Math.floor(Math.min(options.ownerTtlMs / 2, options.graceMs / 3)));
  /** Streams this instance owns and mirrors, whose liveness key it renews. */
  const mirrored = new Set<string>();
  /**
   * Renews the liveness key of every stream this instance generates, and picks up cancels whose
   * pub/sub message it missed (pub/sub delivers at most once, and not while the subscriber reconnects).
   */
  const renewOwnership = async (): Promise<void> => {
    const owned = [...mirrored].filter((streamId) => streams.get(streamId)?.ended === false);
    for (const streamId of mirrored) if (!owned.includes(streamId)) mirrored.delete(streamId);
    if (owned.length === 0) return;
    const pipeline = redis.pipeline();
    for (const streamId of owned) {
      const keys = streamKeys(streamId);
      // A live stream's log and meta outlive a quiet upstream: retention counts from its last renewal.
      renewOwner(pipeline, keys.owner, instanceId, options.ownerTtlMs)
        .exists(keys.cancelled)
        .pexpire(keys.log, options.retentionMs)
        .pexpire(keys.meta, options.retentionMs)
        .pexpire(keys.request, options.retentionMs);
    }
    const results = resultsOf(await pipeline.exec());
    owned.forEach((streamId, index) => {
      if (results[index * 5] === 0) {
        // This instance stalled past its lease and another took the stream over: two must not generate it.
        mirrored.delete(streamId);
        logger.warn({ stream_id: streamId }, 'another instance took over this stream while this one stalled; stopping it here');
        streams.get(streamId)?.cancel();
      } else if (results[index * 5 + 1] === 1) {
        streams.get(streamId)?.cancel();
      }
    });
  };
  // One timer for every stream this instance owns: a pipeline of renewals, not a timer per stream.
  const renewal = setInterval(() => {
    renewOwnership().catch(() => {
      // Reported through the client's 'error' event; readers elsewhere end the stream if this lasts.
    });
  }, Math.max(50, Math.floor(options.ownerTtlMs / 3)));
  renewal.unref();

  function createMirror(streamId: string, activeKey?: string): RedisMirror {
    return new RedisMirror(redis, streamKeys(streamId), {
      maxEntries: options.maxEntries,
      retentionMs: options.retentionMs,
      instanceId,
      active: activeKey === undefined ? undefined : { key: activeStreamKey(activeKey), streamId },
      onFailure: (error) => {
        mirrored.delete(streamId);
        logger.warn({ stream_id: streamId, err: error }, 'Writing a stream to Redis failed: it continues on this instance only');
      },
    });
  }

  async function startMirror(meta: StreamMeta, createOptions: HubCreateOptions): Promise<RedisMirror | undefined> {
    const { takeoverRequest, activeKey } = createOptions;
    const keys = streamKeys(meta.streamId);
    const pipeline = redis
      .pipeline()
      .set(keys.meta, JSON.stringify(meta), 'PX', options.retentionMs)
      .set(keys.owner, instanceId, 'PX', options.ownerTtlMs);
    if (takeoverRequest !== undefined) pipeline.set(keys.request, JSON.stringify(takeoverRequest), 'PX', options.retentionMs);
    if (activeKey !== undefined) pipeline.set(activeStreamKey(activeKey), meta.streamId, 'PX', options.retentionMs);
    try {
      resultsOf(await pipeline.exec());
    } catch {
      return undefined;
    }
    mirrored.add(meta.streamId);
    return createMirror(meta.streamId, activeKey);
  }

  /**
   * Claims a stream whose owner is gone, for `takeOver`; true when it is being continued (here, or by
   * another instance that claimed it first), false when it cannot be (not a takeover stream, or its log
   * no longer starts at the beginning, so its text cannot be known) and should end as an orphan.
   */
  async function claimOrphan(streamId: string): Promise<boolean> {
    const takeOver = options.takeOver;
    if (takeOver === undefined) return false;
    const keys = streamKeys(streamId);
    try {
      const [requestJson, metaJson] = (await redis.mget(keys.request, keys.meta)) as [string | null, string | null];
      if (requestJson === null || metaJson === null) return false;
      // SET NX: of all the instances that noticed, exactly one wins the stream.
      if ((await redis.set(keys.owner, instanceId, 'PX', options.ownerTtlMs, 'NX')) !== 'OK') return true;
      const history = parseEntries((await redis.xrange(keys.log, '-', '+')) as [string, string[]][]);
      const last = history.at(-1);
      if ((history.length > 0 && history[0]!.sequence !== 1) || (last !== undefined && isTerminalPart(last.part))) {
        resultsOf(await releaseOwner(redis.pipeline(), keys.owner, instanceId).exec());
        return last !== undefined && isTerminalPart(last.part);
      }
      const meta = JSON.parse(metaJson) as StreamMeta;
      logger.info({ stream_id: streamId, after_sequence: last?.sequence ?? 0 }, 'the instance generating this stream is gone; continuing it here');
      takeOver({
        meta,
        request: JSON.parse(requestJson) as ChatRequest,
        history,
        adopt: (handlers): HubProducer => {
          mirrored.add(streamId);
          return streams.create(meta, handlers, { mirror: createMirror(streamId), readStoredOnly: true, history });
        },
      });
      return true;
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  return {
    shared: true,
    async create(meta: StreamMeta, handlers: HubStreamHandlers, createOptions: HubCreateOptions = {}) {
      const mirror = await startMirror(meta, createOptions);
      const hooks = { mirror, readStoredOnly: createOptions.takeoverRequest !== undefined, background: createOptions.background };
      return streams.create(meta, handlers, hooks, createOptions.activeKey);
    },
    async open(streamId, afterSequence): Promise<HubReader> {
      const local = streams.get(streamId);
      if (local) return local.openReader(afterSequence);
      return openRemoteReader(redis, streamKeys(streamId), streamId, afterSequence, {
        instanceId,
        maxEntries: options.maxEntries,
        graceMs: options.graceMs,
        blockMs,
        claimOrphan,
      });
    },
    async meta(streamId) {
      const local = streams.get(streamId);
      if (local) return local.meta;
      let metaJson: string | null;
      try {
        metaJson = await redis.get(streamKeys(streamId).meta);
      } catch (error) {
        throw storeUnavailable(error);
      }
      return metaJson === null ? undefined : (JSON.parse(metaJson) as StreamMeta);
    },
    async cancel(streamId): Promise<CancelOutcome> {
      const local = streams.get(streamId);
      if (local) return local.cancel() ? 'cancelled' : 'finished';
      const keys = streamKeys(streamId);
      let results: unknown[];
      try {
        // The message leaves with the checks, so the owner stops one round trip after the request came
        // in; an instance that does not run the stream ignores it.
        results = resultsOf(
          await redis.pipeline().exists(keys.meta).xrevrange(keys.log, '+', '-', 'COUNT', 1).exists(keys.owner).publish(cancelChannel, streamId).exec(),
        );
      } catch (error) {
        throw storeUnavailable(error);
      }
      const [metaExists, newest, ownerExists] = results as [number, [string, string[]][], number];
      if (metaExists === 0) return 'not_found';
      const last = newest[0] && parseEntry(newest[0]);
      if (last && isTerminalPart(last.part)) return 'finished';
      try {
        if (ownerExists === 1) {
          // Read at the owner's next renewal, in case the message did not reach it.
          await redis.set(keys.cancelled, '1', 'PX', options.retentionMs);
          return 'cancelling';
        }
        await endOrphanedStream(redis, keys, 0, cancelledPart);
        return 'cancelled';
      } catch (error) {
        throw storeUnavailable(error);
      }
    },
    async findActive(activeKey) {
      const local = streams.findActive(activeKey);
      if (local !== undefined) return local;
      try {
        return (await redis.get(activeStreamKey(activeKey))) ?? undefined;
      } catch (error) {
        throw storeUnavailable(error);
      }
    },
    async read(streamId) {
      const local = streams.get(streamId);
      if (local) return { meta: local.meta, entries: local.entries() };
      const keys = streamKeys(streamId);
      let results: unknown[];
      try {
        results = resultsOf(await redis.pipeline().get(keys.meta).xrange(keys.log, '-', '+').exec());
      } catch (error) {
        throw storeUnavailable(error);
      }
      const [metaJson, raw] = results as [string | null, [string, string[]][]];
      if (metaJson === null) throw unknownStream(streamId);
      const entries = parseEntries(raw);
      if (entries.length > 0 && entries[0]!.sequence !== 1) throw fellBehind(0, entries[0]!.sequence, options.maxEntries);
      return { meta: JSON.parse(metaJson) as StreamMeta, entries };
    },
    async close() {
      clearInterval(renewal);
      streams.clear();
      mirrored.clear();
      subscriber.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
