import { SluiceError, type Usage } from '@sluice/protocol';
import type { Spend } from '../../pipeline/access/admit-chat.ts';
import { createClientKey, hashClientKey, isClientKey } from '../../keys/client-key.ts';
import { createKeyStore, keyStoreMayHoldKeys, type KeyStoreConfig } from '../../keys/create-key-store.ts';
import type { ClientKeyFields, ClientKeyRecord, KeyStore, ModelUsage } from '../../keys/key-store.ts';
import { TtlCache } from '../../keys/ttl-cache.ts';
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
  /** What the key spent, as last read or charged here. */
  spendOf(id: string): Spend;
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
  const spends = new Map<string, Spend>();

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
  const noteSpend = (record: ClientKeyRecord | undefined): ClientKeyRecord | undefined => {
    if (record !== undefined) raiseSpend(record.id, record);
    return record;
  };
  // Spend only grows: whichever of a read and a charge saw more is the newer.
  const raiseSpend = (id: string, seen: Spend): void => {
    const known = spends.get(id);
    spends.set(id, known === undefined ? { spentTokens: seen.spentTokens, spentUsd: seen.spentUsd } : { spentTokens: Math.max(known.spentTokens, seen.spentTokens), spentUsd: Math.max(known.spentUsd, seen.spentUsd) });
  };
  const byHash = new TtlCache((hash) => withStore((store) => store.findByHash(hash)).then(noteSpend), settings.keyCacheMs);
  const byId = new TtlCache((id) => withStore((store) => store.get(id)).then(noteSpend), settings.keyCacheMs);
  const changed = (): void => {
    keysExist = true;
    byHash.clear();
    byId.clear();
  };
  const refresh = (): Promise<void> =>
    (checking ??= (async () => {
      try {
        keysExist = keyStoreMayHoldKeys(config) ? (await withStore((store) => store.count())) > 0 : false;
      } catch {
        // Logged by withStore; keys stay required until the store answers.
      } finally {
        checkedAt = performance.now();
        checking = undefined;
      }
    })());

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
    spendOf: (id) => spends.get(id) ?? { spentTokens: 0, spentUsd: 0 },
    async charge(id, { model, usage, costUsd }) {
      const spent = await withStore((store) =>
        store.charge(id, { model, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, estimated: usage.estimated, costUsd }),
      );
      raiseSpend(id, spent);
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
      closed = true;
      const store = await opening?.catch(() => undefined);
      await store?.close();
    },
  };
}
