import type { Redis } from 'ioredis';
import type { HubLogger } from '../hub/redis-hub.ts';
import { createRedisConnection, redactUrl } from '../redis-connection.ts';
import { createMemoryRateLimiter } from './memory-rate-limiter.ts';
import { rateWindowMs, type RateDecision, type RateLimiter, type RateReservation } from './rate-limiter.ts';

export interface RedisRateLimiterOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  logger: HubLogger;
}

/** A command that gets no answer in this long fails, so an unreachable Redis never hangs an admission. */
const commandTimeoutMs = 1_000;

/**
 * Settles wait this long and leave together, one pipeline for every stream that ended meanwhile: a
 * stream's end costs no Redis write of its own, and a reservation outlives its stream by this much at most.
 */
const settleDelayMs = 20;

// The window comes from Redis's own clock (TIME), so instances whose clocks differ still share windows.
const clock = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local window = math.floor(now / windowMs)
local resetMs = (window + 1) * windowMs - now
local stored = redis.call('HMGET', KEYS[1], 'window', 'requests', 'tokens', 'reserved')
local current = tonumber(stored[1]) == window
`;

/** rate-window.ts's admitInWindow, step for step. ARGV: windowMs, requests per minute (-1: none), tokens per minute (-1: none), reservation. */
const admitScript = `${clock}
local requestsLimit, tokensLimit, reserve = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local requests, tokens, reserved = 0, 0, 0
if current then requests, tokens, reserved = tonumber(stored[2]), tonumber(stored[3]), tonumber(stored[4]) end
if tokensLimit >= 0 and reserve > tokensLimit then reserve = tokensLimit end
local requestsFit = requestsLimit < 0 or requests + 1 <= requestsLimit
local tokensFit = tokensLimit < 0 or tokens + reserved + reserve <= tokensLimit
if not (requestsFit and tokensFit) then
  local exceeded = 2
  if not requestsFit then exceeded = 1 end
  return {0, window, requests, tokens + reserved, resetMs, reserve, exceeded}
end
requests, reserved = requests + 1, reserved + reserve
redis.call('HSET', KEYS[1], 'window', window, 'requests', requests, 'tokens', tokens, 'reserved', reserved)
redis.call('PEXPIRE', KEYS[1], resetMs + windowMs)
return {1, window, requests, tokens + reserved, resetMs, reserve, 0}
`;

/** rate-window.ts's settleInWindow. ARGV: windowMs, the reservation's window, its tokens, the tokens used. */
const settleScript = `${clock}
local reservationWindow, reservationTokens, used = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if current then
  local reserved = tonumber(stored[4])
  if reservationWindow == window then reserved = math.max(0, reserved - reservationTokens) end
  redis.call('HSET', KEYS[1], 'tokens', tonumber(stored[3]) + used, 'reserved', reserved)
else
  redis.call('HSET', KEYS[1], 'window', window, 'requests', 0, 'tokens', used, 'reserved', 0)
end
redis.call('PEXPIRE', KEYS[1], resetMs + windowMs)
return 1
`;

/** rate-window.ts's extendInWindow. ARGV: windowMs, tokens. Returns the current window, where the tokens now are. */
const extendScript = `${clock}
local tokens = tonumber(ARGV[2])
if current then
  redis.call('HINCRBY', KEYS[1], 'reserved', tokens)
else
  redis.call('HSET', KEYS[1], 'window', window, 'requests', 0, 'tokens', 0, 'reserved', tokens)
end
redis.call('PEXPIRE', KEYS[1], resetMs + windowMs)
return window
`;

const currentScript = `${clock}
if not current then return {0, 0, 0, resetMs} end
return {tonumber(stored[2]), tonumber(stored[3]), tonumber(stored[4]), resetMs}
`;

interface PendingSettle {
  reservation: RateReservation;
  usedTokens: number;
}

interface LimiterCommands {
  sluiceAdmit(key: string, windowMs: number, requestsLimit: number, tokensLimit: number, reserve: number): Promise<number[]>;
  sluiceSettle(key: string, windowMs: number, reservationWindow: number, reservationTokens: number, usedTokens: number): Promise<number>;
  sluiceCurrent(key: string, windowMs: number): Promise<number[]>;
  sluiceExtend(key: string, windowMs: number, tokens: number): Promise<number>;
}

type LimiterPipeline = ReturnType<Redis['pipeline']> & {
  sluiceSettle(key: string, windowMs: number, reservationWindow: number, reservationTokens: number, usedTokens: number): LimiterPipeline;
};

/** Where a key's counts live: the braces are a hash tag, as the hub's keys have. */
function limitsKey(keyId: string): string {
  return `sluice:limits:{${keyId}}`;
}

/**
 * Counts shared by every instance: each admission and each settle is one Lua script, one round trip,
 * atomic across instances. While Redis is unreachable, admissions are counted in this process instead
 * (each instance then allows the full limit) and the outage is logged once, its end once: limits
 * degrade, requests do not fail.
 */
export async function createRedisRateLimiter(options: RedisRateLimiterOptions): Promise<RateLimiter> {
  const redis = createRedisConnection(options.url, 'sluice-limits', commandTimeoutMs) as Redis & LimiterCommands;
  redis.defineCommand('sluiceAdmit', { numberOfKeys: 1, lua: admitScript });
  redis.defineCommand('sluiceSettle', { numberOfKeys: 1, lua: settleScript });
  redis.defineCommand('sluiceCurrent', { numberOfKeys: 1, lua: currentScript });
  redis.defineCommand('sluiceExtend', { numberOfKeys: 1, lua: extendScript });
  const fallback = createMemoryRateLimiter();
  /** Reservations made by the fallback while Redis was unreachable, settled there too. */
  const local = new WeakSet<RateReservation>();
  const where = redactUrl(options.url);
  let reachable = true;
  const unreachable = (error: Error): void => {
    if (!reachable) return;
    reachable = false;
    options.logger.warn({ redis: where, err: error }, 'The rate limiter cannot reach Redis: each instance counts requests and tokens alone until it is back');
  };
  redis.on('error', unreachable);
  redis.on('ready', () => {
    if (reachable) return;
    reachable = true;
    options.logger.info({ redis: where }, 'The rate limiter reaches Redis again: limits are shared');
  });
  // Connected before the first admission, which would otherwise find no connection and fall back; a
  // Redis down at start is reported through 'error' and retried in the background.
  await redis.connect().catch(() => {});

  let pending: PendingSettle[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushed: PromiseWithResolvers<void> | undefined;
  // A settle that fails leaves its reservation to its window's end, a minute at most.
  const flush = async (): Promise<void> => {
    const waiting = flushed;
    flushTimer = undefined;
    flushed = undefined;
    const batch = pending;
    pending = [];
    const pipeline = redis.pipeline() as LimiterPipeline;
    for (const { reservation, usedTokens } of batch) {
      pipeline.sluiceSettle(limitsKey(reservation.keyId), rateWindowMs, reservation.window, reservation.tokens, usedTokens);
    }
    await pipeline.exec().catch((error: Error) => unreachable(error));
    waiting?.resolve();
  };

  return {
    async admit(keyId, limits, reserveTokens): Promise<RateDecision> {
      let result: number[];
      try {
        result = await redis.sluiceAdmit(limitsKey(keyId), rateWindowMs, limits.requestsPerMinute ?? -1, limits.tokensPerMinute ?? -1, reserveTokens);
      } catch (error) {
        unreachable(error as Error);
        const decision = await fallback.admit(keyId, limits, reserveTokens);
        if (decision.admitted) local.add(decision.reservation);
        return decision;
      }
      const [admitted, window, requests, tokens, resetMs, reserve, exceeded] = result as [number, number, number, number, number, number, number];
      const state = {
        requestsLimit: limits.requestsPerMinute,
        requestsRemaining: limits.requestsPerMinute === null ? 0 : Math.max(0, limits.requestsPerMinute - requests),
        tokensLimit: limits.tokensPerMinute,
        tokensRemaining: limits.tokensPerMinute === null ? 0 : Math.max(0, limits.tokensPerMinute - tokens),
        resetMs,
      };
      if (admitted === 1) return { admitted: true, state, reservation: { keyId, window, tokens: reserve } };
      return { admitted: false, state, exceeded: exceeded === 1 ? 'requests' : 'tokens' };
    },
    async extend(reservation, tokens) {
      if (local.has(reservation)) return fallback.extend(reservation, tokens);
      // A failed extension is made up for at the settle, which counts every token used.
      const window = await redis.sluiceExtend(limitsKey(reservation.keyId), rateWindowMs, tokens).catch((error: Error) => unreachable(error));
      if (window === undefined) return;
      if (window !== reservation.window) {
        reservation.window = window;
        reservation.tokens = 0;
      }
      reservation.tokens += tokens;
    },
    settle(reservation, usedTokens) {
      if (local.has(reservation)) return fallback.settle(reservation, usedTokens);
      pending.push({ reservation, usedTokens });
      if (flushed === undefined) {
        flushed = Promise.withResolvers<void>();
        flushTimer = setTimeout(() => void flush(), settleDelayMs);
        flushTimer.unref();
      }
      return flushed.promise;
    },
    async current(keyId) {
      let result: number[];
      try {
        result = await redis.sluiceCurrent(limitsKey(keyId), rateWindowMs);
      } catch (error) {
        unreachable(error as Error);
        return fallback.current(keyId);
      }
      const [requests, tokens, reservedTokens, resetMs] = result as [number, number, number, number];
      return { requests, tokens, reservedTokens, resetMs };
    },
    async close() {
      if (flushTimer !== undefined) {
        clearTimeout(flushTimer);
        await flush();
      }
      await fallback.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
