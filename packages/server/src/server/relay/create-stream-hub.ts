import { createMemoryHub } from '../../pipeline/hub/memory-hub.ts';
import { createRedisHub } from '../../pipeline/hub/redis-hub.ts';
import type { OrphanedStream, StreamHub } from '../../pipeline/hub/stream-hub.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * The Redis hub when REDIS_URL is set (it starts even if Redis is down, and says so), else the memory hub.
 * `takeOver` continues a stream whose instance died, once the Redis hub claimed it for this one.
 */
export async function createStreamHub(settings: Settings, logger: Logger, takeOver: (orphan: OrphanedStream) => void): Promise<StreamHub> {
  const options = { maxEntries: settings.resumeLogEntries, maxBytes: settings.resumeLogBytes, retentionMs: settings.resumeRetentionMs, graceMs: settings.resumeGraceMs };
  if (settings.redisUrl === undefined) return createMemoryHub(options);
  return createRedisHub({ ...options, url: settings.redisUrl, ownerTtlMs: settings.redisOwnerTtlMs, logger, takeOver });
}
