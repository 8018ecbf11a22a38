import type { ChainableCommander } from 'ioredis';
import type { StreamPart } from '@sluice/protocol';
import type { HubEntry } from './hub-entry.ts';

/**
 * Where a stream lives in Redis. The braces are a hash tag: a stream's keys share one Redis Cluster
 * slot, so a pipeline over them stays on one node.
 */
export interface StreamKeys {
  /** Redis Stream of entries, id `0-<sequence>`, one field `part` holding the StreamPart as JSON. */
  log: string;
  /** The StreamMeta as JSON. */
  meta: string;
  /** The id of the instance generating the stream, with a short TTL its owner keeps renewing. */
  owner: string;
  /** Present while a reader on another instance is attached, so the owner's grace period does not run out under it. */
  readers: string;
  /** Set by a cancel from another instance, in case its pub/sub message does not reach the owner. */
  cancelled: string;
  /**
   * The ChatRequest as sent upstream, JSON, kept while the stream may be taken over: present only for
   * streams whose route continues failures, so that another instance can continue one whose owner died.
   */
  request: string;
}

export function streamKeys(streamId: string): StreamKeys {
  const base = `sluice:stream:{${streamId}}`;
  return {
    log: `${base}:log`,
    meta: `${base}:meta`,
    owner: `${base}:owner`,
    readers: `${base}:readers`,
    cancelled: `${base}:cancelled`,
    request: `${base}:request`,
  };
}

/** Where the id of the unfinished stream created under an active key (an AI SDK chat id) is kept. */
export function activeStreamKey(activeKey: string): string {
  return `sluice:active:{${activeKey}}`;
}

/** Every instance subscribes; the message is a stream id, acted on by the instance that owns it. */
export const cancelChannel = 'sluice:cancel';

/**
 * Entry ids are `0-<sequence>`: the sequence is the id, so `XREAD` after a Last-Event-ID needs no
 * lookup, and an `XADD` at a sequence someone else already wrote fails instead of forking the log.
 */
export function entryId(sequence: number): string {
  return `0-${sequence}`;
}

type RawEntry = [id: string, fields: string[]];

export function parseEntry([id, fields]: RawEntry): HubEntry {
  const sequence = Number(id.slice(id.indexOf('-') + 1));
  return { sequence, part: JSON.parse(fields[1] ?? 'null') as StreamPart };
}

export function parseEntries(raw: RawEntry[]): HubEntry[] {
  return raw.map(parseEntry);
}

/** The results of a pipeline, or the first error in them thrown. */
export function resultsOf(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('The Redis pipeline was discarded');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

// Compare-and-act on the owner key, so that only the instance that holds a stream renews or releases it
// (the release also serves an active key, which names a stream id).
// A lease that lapsed unclaimed (this instance stalled, nobody noticed) is taken again.
const renewIfOwnerScript =
  "local owner = redis.call('get', KEYS[1]) if owner == ARGV[1] or not owner then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0";
const releaseIfOwnerScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Queues the renewal of `instanceId`'s lease on `ownerKey`; its result is 1, or 0 when another instance holds it now. */
export function renewOwner(pipeline: ChainableCommander, ownerKey: string, instanceId: string, ttlMs: number): ChainableCommander {
  return pipeline.eval(renewIfOwnerScript, 1, ownerKey, instanceId, String(ttlMs));
}

export function releaseOwner(pipeline: ChainableCommander, ownerKey: string, instanceId: string): ChainableCommander {
  return pipeline.eval(releaseIfOwnerScript, 1, ownerKey, instanceId);
}
