interface Entry<V> {
  value: Promise<V>;
  expiresAt: number;
}

/**
 * Values fetched on demand and kept `ttlMs`, at most `maxEntries` of them (the oldest go first), misses
 * included: a flood of unknown keys costs one lookup each per `ttlMs`, not one per request. Concurrent
 * gets of one missing value share one fetch; a failed fetch is not kept.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly fetch: (key: string) => Promise<V>;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(fetch: (key: string) => Promise<V>, ttlMs: number, maxEntries = 10_000) {
    this.fetch = fetch;
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  get(key: string): Promise<V> {
    const now = performance.now();
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > now) return entry.value;
    if (entry !== undefined) this.entries.delete(key);
    const value = this.fetch(key);
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
