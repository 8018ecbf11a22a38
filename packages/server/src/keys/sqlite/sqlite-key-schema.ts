import type { DatabaseSync } from 'node:sqlite';

const schemaVersion = 1;

/**
 * Creates the tables on first open. Usage is kept per key and model, so `GET /admin/keys/{id}/usage`
 * reads a handful of rows, not one per request.
 */
export function migrateSqliteKeySchema(database: DatabaseSync): void {
  const { user_version: version } = database.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version === schemaVersion) return;
  database.exec(`
    BEGIN IMMEDIATE;
    CREATE TABLE IF NOT EXISTS client_keys (
      id TEXT PRIMARY KEY,
      hash TEXT NOT NULL UNIQUE,
      hint TEXT NOT NULL,
      name TEXT NOT NULL,
      models TEXT,
      requests_per_minute INTEGER,
      tokens_per_minute INTEGER,
      budget_tokens INTEGER,
      budget_usd REAL,
      expires_at TEXT,
      metadata TEXT NOT NULL,
      created_at TEXT NOT NULL,
      revoked_at TEXT,
      spent_tokens INTEGER NOT NULL DEFAULT 0,
      spent_usd REAL NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS client_key_usage (
      key_id TEXT NOT NULL REFERENCES client_keys (id),
      model TEXT NOT NULL,
      requests INTEGER NOT NULL,
      prompt_tokens INTEGER NOT NULL,
      completion_tokens INTEGER NOT NULL,
      estimated_requests INTEGER NOT NULL,
      cost_usd REAL NOT NULL,
      PRIMARY KEY (key_id, model)
    ) WITHOUT ROWID;
    PRAGMA user_version = ${schemaVersion};
    COMMIT;
  `);
}
