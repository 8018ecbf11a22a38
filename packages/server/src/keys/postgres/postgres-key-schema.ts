import type { Pool } from 'pg';
import { inTransaction } from '../../retrieval/postgres/postgres-schema.ts';

/** Serializes schema creation between instances starting at once, as the retrieval schema does with its own key. */
const migrationLockKey = 0x51_1c_e0_02;

/** Creates the key tables on first use, shared by every instance pointed at the database. */
export function migratePostgresKeySchema(pool: Pool): Promise<void> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS sluice_client_keys (
        id text COLLATE "C" PRIMARY KEY,
        hash text NOT NULL UNIQUE,
        hint text NOT NULL,
        name text NOT NULL,
        models jsonb,
        requests_per_minute integer,
        tokens_per_minute integer,
        budget_tokens bigint,
        budget_usd double precision,
        expires_at timestamptz,
        metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        spent_tokens bigint NOT NULL DEFAULT 0,
        spent_usd double precision NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS sluice_client_key_usage (
        key_id text COLLATE "C" NOT NULL REFERENCES sluice_client_keys (id),
        model text COLLATE "C" NOT NULL,
        requests bigint NOT NULL,
        prompt_tokens bigint NOT NULL,
        completion_tokens bigint NOT NULL,
        estimated_requests bigint NOT NULL,
        cost_usd double precision NOT NULL,
        PRIMARY KEY (key_id, model)
      );
    `);
  });
}
