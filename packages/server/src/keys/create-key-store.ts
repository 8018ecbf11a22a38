import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyStore } from './key-store.ts';
import { createPostgresKeyStore } from './postgres/postgres-key-store.ts';
import { createSqliteKeyStore } from './sqlite/sqlite-key-store.ts';

/** Where keys live, as a server or the CLI reads it from its settings. */
export interface KeyStoreConfig {
  /** A `postgres://` URL (`DATABASE_URL`): keys shared by every instance using it. */
  databaseUrl: string | undefined;
  /** The SQLite file used without `databaseUrl`; it and its folder are created with the first key. */
  sqlitePath: string;
  onConnectionError?: (error: Error) => void;
}

/** PostgreSQL when `databaseUrl` is set, else the SQLite file (created if missing). */
export async function createKeyStore(config: KeyStoreConfig): Promise<KeyStore> {
  if (config.databaseUrl !== undefined) {
    return createPostgresKeyStore({ connectionString: config.databaseUrl, ...(config.onConnectionError ? { onConnectionError: config.onConnectionError } : {}) });
  }
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  return createSqliteKeyStore(config.sqlitePath);
}

/** False while the SQLite file was never created: it holds no key, and an open gateway leaves no file behind. */
export function keyStoreMayHoldKeys(config: KeyStoreConfig): boolean {
  return config.databaseUrl !== undefined || config.sqlitePath === ':memory:' || existsSync(config.sqlitePath);
}
