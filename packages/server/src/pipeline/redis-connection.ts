import { Redis } from 'ioredis';

/**
 * A Redis connection as Sluice's shared state wants it: connected explicitly (`connect()`), commands
 * that fail at once while disconnected (no offline queue) and after `commandTimeoutMs` unanswered, so
 * that an unreachable Redis never hangs a request; ioredis reconnects in the background.
 */
export function createRedisConnection(url: string, connectionName: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    connectionName,
  });
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
