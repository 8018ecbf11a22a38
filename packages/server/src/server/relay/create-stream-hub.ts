import { createMemoryHub } from '../../pipeline/hub/memory-hub.ts';
import { createRedisHub } from '../../pipeline/hub/redis-hub.ts';
import type { OrphanedStream, StreamHub } from '../../pipeline/hub/stream-hub.ts';
import { connectWorkerHub } from '../cluster/connect-worker-hub.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * The Redis hub when REDIS_URL is set (it starts even if Redis is down, and says so), else the memory
 * hub; in a worker of several (`workerId`), a memory hub that asks the other workers for the streams it
 * does not hold. `takeOver` continues a stream whose instance died, once the Redis hub claimed it for
 * this one.
 */
export async function createStreamHub(settings: Settings, logger: Logger, takeOver: (orphan: OrphanedStream) => void, workerId?: number): Promise<StreamHub> {
  const options = { maxEntries: settings.resumeLogEntries, maxBytes: settings.resumeLogBytes, retentionMs: settings.resumeRetentionMs, graceMs: settings.resumeGraceMs };
  if (settings.redisUrl !== undefined) return createRedisHub({ ...options, url: settings.redisUrl, ownerTtlMs: settings.redisOwnerTtlMs, logger, takeOver });
  const memory = createMemoryHub(options);
  return workerId === undefined ? memory : connectWorkerHub(memory, workerId);
}
