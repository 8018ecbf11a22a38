import { SluiceError, type Usage } from '@sluice/protocol';
import type { Spend } from '../../pipeline/access/admit-chat.ts';
import { createClientKey, hashClientKey, isClientKey } from '../../keys/client-key.ts';
import { createKeyStore, keyStoreMayHoldKeys, type KeyStoreConfig } from '../../keys/create-key-store.ts';
import type { ClientKeyFields, ClientKeyRecord, KeyStore, ModelUsage } from '../../keys/key-store.ts';
import { TtlCache } from '../../keys/ttl-cache.ts';
import { ChargeQueue } from './charge-queue.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';

/**
 * This instance's view of the client keys: the store (opened on first need, so an open gateway creates
 * no file), lookups cached for SLUICE_KEY_CACHE_MS, the spend of every key it has seen, and whether keys
 * are required at all. Changes made through it (the admin API) take effect here at once, elsewhere
 * within the cache time.
 */
export interface KeyDirectory {
  /** Reads whether any key exists; call once before serving. */
  start(): Promise<void>;
  /**
   * True when client keys are required: SLUICE_REQUIRE_KEYS, or a key exists (revoked ones too). While
   * the store cannot be read, as `openWhileUnknown` says. While false it looks again at most every
   * SLUICE_KEY_CACHE_MS.
   */
  required(): boolean;
  /** The key a secret belongs to; undefined for a secret that is not a key. Throws `overloaded` when the store is unreachable. */
  findBySecret(secret: string): Promise<ClientKeyRecord | undefined>;
  findById(id: string): Promise<ClientKeyRecord | undefined>;
  /** What the key spent, as last read from the store plus what this instance charged since. */
  spendOf(id: string): Spend;
  /** Charges a settled stream: counted in `spendOf` at once, written within milliseconds (see ChargeQueue). */
  charge(id: string, charge: { model: string; usage: Usage; costUsd: number }): Promise<void>;
  /** A new key: its record, and its secret, which exists nowhere else from now on. */
  create(fields: ClientKeyFields): Promise<{ record: ClientKeyRecord; secret: string }>;
  list(): Promise<ClientKeyRecord[]>;
  /** The key as the store has it now, not as a cache last saw it. */
  get(id: string): Promise<ClientKeyRecord | undefined>;
  update(id: string, changes: Partial<ClientKeyFields>): Promise<ClientKeyRecord | undefined>;
  revoke(id: string): Promise<ClientKeyRecord | undefined>;
  usageOf(id: string): Promise<ModelUsage[]>;
  close(): Promise<void>;
}

export function keyStoreConfig(settings: Settings): KeyStoreConfig {
  return { databaseUrl: settings.databaseUrl, sqlitePath: settings.keysSqlitePath };
}

/**
 * `openWhileUnknown`: whether Sluice may run open while the store cannot say whether a key exists (a
 * database down at startup). Where it could start open anyway (loopback, no upstream key of its own,
 * SLUICE_ALLOW_OPEN) it serves as before; elsewhere it fails closed.
 */
export function createKeyDirectory(settings: Settings, logger: Logger, openWhileUnknown: boolean): KeyDirectory {
  const config: KeyStoreConfig = { ...keyStoreConfig(settings), onConnectionError: (error) => logger.warn({ err: error }, 'a key store connection failed') };
  const backend = config.databaseUrl === undefined ? 'sqlite' : 'postgres';
  let opening: Promise<KeyStore> | undefined;
  let closed = false;
  let healthy = true;
  /** Whether keys exist; undefined until the store could be read. */
  let keysExist: boolean | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let checking: Promise<void> | undefined;
  /** Per key: its spend as the store last said, and what this instance charged that the store has not said yet. */
  const spends = new Map<string, { stored: Spend; unwritten: Spend }>();

  const open = (): Promise<KeyStore> => {
    if (closed) return Promise.reject(new SluiceError('shutting_down', 'Sluice is shutting down; retry on another instance'));
    opening ??= createKeyStore(config).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  /** Runs `work` on the store; a failure of the store itself is a retryable 503 for the client and one log line per outage. */
  const withStore = async <T>(work: (store: KeyStore) => Promise<T>): Promise<T> => {
    try {
      const result = await work(await open());
      if (!healthy) logger.info({ backend }, 'the key store is reachable again');
      healthy = true;
      return result;
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      if (healthy) logger.error({ err: error, backend }, 'the key store failed: requests that need a key get 503 until it is back');
      healthy = false;
      throw new SluiceError('overloaded', `The key store (${backend}) is unavailable; retry shortly`, { cause: error });
    }
  };
  const spendEntry = (id: string) => {
    let entry = spends.get(id);
    if (entry === undefined) spends.set(id, (entry = { stored: { spentTokens: 0, spentUsd: 0 }, unwritten: { spentTokens: 0, spentUsd: 0 } }));
    return entry;
  };
  // Spend only grows: whichever read of the store saw more is the newer.
  const noteStored = (id: string, seen: Spend): void => {
    const { stored } = spendEntry(id);
    stored.spentTokens = Math.max(stored.spentTokens, seen.spentTokens);
    stored.spentUsd = Math.max(stored.spentUsd, seen.spentUsd);
  };
  const noteSpend = (record: ClientKeyRecord | undefined): ClientKeyRecord | undefined => {
    if (record !== undefined) noteStored(record.id, record);
    return record;
  };
  const charges = new ChargeQueue({
    async write(id, charge) {
      const spent = await withStore((store) => store.charge(id, charge));
      const { unwritten } = spendEntry(id);
      unwritten.spentTokens -= charge.promptTokens + charge.completionTokens;
      unwritten.spentUsd -= charge.costUsd;
      noteStored(id, spent);
    },
  });
  const byHash = new TtlCache((hash) => withStore((store) => store.findByHash(hash)).then(noteSpend), settings.keyCacheMs);
  const byId = new TtlCache((id) => withStore((store) => store.get(id)).then(noteSpend), settings.keyCacheMs);
  const changed = (): void => {
    keysExist = true;
    byHash.clear();
    byId.clear();
  };
  const countKeys = async (): Promise<void> => {
    try {
      keysExist = keyStoreMayHoldKeys(config) ? (await withStore((store) => store.count())) > 0 : false;
    } catch {
      // Logged by withStore; what was known stays until the store answers.
    }
    checkedAt = performance.now();
  };
  /** One count at a time; `checking` is set before the count can finish, even when it finishes at once (no file). */
  const refresh = async (): Promise<void> => {
    if (checking !== undefined) return checking;
    checking = countKeys();
    try {
      await checking;
    } finally {
      checking = undefined;
    }
  };

  return {
    start: refresh,
    required() {
      if (settings.requireKeys || keysExist === true) return true;
      if (performance.now() - checkedAt >= settings.keyCacheMs) void refresh();
      return keysExist === undefined && !openWhileUnknown;
    },
    async findBySecret(secret) {
      return isClientKey(secret) ? byHash.get(hashClientKey(secret)) : undefined;
    },
    findById: (id) => byId.get(id),
    spendOf(id) {
      const entry = spends.get(id);
      if (entry === undefined) return { spentTokens: 0, spentUsd: 0 };
      return { spentTokens: entry.stored.spentTokens + entry.unwritten.spentTokens, spentUsd: entry.stored.spentUsd + entry.unwritten.spentUsd };
    },
    charge(id, { model, usage, costUsd }) {
      const { unwritten } = spendEntry(id);
      unwritten.spentTokens += usage.promptTokens + usage.completionTokens;
      unwritten.spentUsd += costUsd;
      const estimatedRequests = usage.estimated ? 1 : 0;
      return charges.add(id, { model, requests: 1, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, estimatedRequests, costUsd });
    },
    async create(fields) {
      const key = createClientKey();
      const record = await withStore((store) => store.create({ ...fields, id: key.id, hash: key.hash, hint: key.hint }));
      changed();
      return { record, secret: key.secret };
    },
    list: () => withStore((store) => store.list()),
    get: (id) => withStore((store) => store.get(id)).then(noteSpend),
    async update(id, changes) {
      const record = await withStore((store) => store.update(id, changes));
      if (record !== undefined) changed();
      return record;
    },
    async revoke(id) {
      const record = await withStore((store) => store.revoke(id));
      if (record !== undefined) changed();
      return record;
    },
    usageOf: (id) => withStore((store) => store.usageOf(id)),
    async close() {
      await charges.close();
      closed = true;
      const store = await opening?.catch(() => undefined);
      await store?.close();
    },
  };
}
