import pg from 'pg';
import { inTransaction } from '../../retrieval/postgres/postgres-schema.ts';
import { fieldColumns, keyFromRow, toColumnValue } from '../key-columns.ts';
import type { ClientKeyFields, KeyStore, ModelUsage, NewClientKeyRecord } from '../key-store.ts';
import { migratePostgresKeySchema } from './postgres-key-schema.ts';

export interface PostgresKeyStoreOptions {
  /** A `postgres://` URL, as in `DATABASE_URL`. */
  connectionString: string;
  /** Told when an idle pooled connection fails; the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

/** Keys in PostgreSQL: every instance pointed at the database authenticates the same keys and charges the same totals. */
export async function createPostgresKeyStore(options: PostgresKeyStoreOptions): Promise<KeyStore> {
  // A bounded connect: a database that does not answer must not hold startup or a request forever.
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 4, connectionTimeoutMillis: 5_000 });
  // An 'error' event without a listener would crash the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  try {
    await migratePostgresKeySchema(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const fieldNames = Object.keys(fieldColumns) as (keyof ClientKeyFields)[];
  const one = async (text: string, values: unknown[]) => {
    const { rows } = await pool.query(text, values);
    return rows[0] === undefined ? undefined : keyFromRow(rows[0]);
  };

  return {
    backend: 'postgres',
    async create(key: NewClientKeyRecord) {
      const columns = fieldNames.map((field) => fieldColumns[field]);
      const placeholders = fieldNames.map((_, index) => `$${index + 4}`);
      const values = fieldNames.map((field) => toColumnValue(field, key[field]));
      return (await one(`INSERT INTO sluice_client_keys (id, hash, hint, ${columns.join(', ')}) VALUES ($1, $2, $3, ${placeholders.join(', ')}) RETURNING *`, [
        key.id,
        key.hash,
        key.hint,
        ...values,
      ]))!;
    },
    async list() {
      const { rows } = await pool.query('SELECT * FROM sluice_client_keys ORDER BY created_at, id');
      return rows.map(keyFromRow);
    },
    get: (id) => one('SELECT * FROM sluice_client_keys WHERE id = $1', [id]),
    findByHash: (hash) => one('SELECT * FROM sluice_client_keys WHERE hash = $1', [hash]),
    async update(id, changes) {
      const fields = fieldNames.filter((field) => changes[field] !== undefined);
      if (fields.length === 0) return one('SELECT * FROM sluice_client_keys WHERE id = $1', [id]);
      // Column names come from fieldColumns, never from the request.
      const assignments = fields.map((field, index) => `${fieldColumns[field]} = $${index + 2}`).join(', ');
      return one(`UPDATE sluice_client_keys SET ${assignments} WHERE id = $1 RETURNING *`, [id, ...fields.map((field) => toColumnValue(field, changes[field]))]);
    },
    revoke: (id) => one('UPDATE sluice_client_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *', [id]),
    async count() {
      const { rows } = await pool.query('SELECT count(*)::integer AS count FROM sluice_client_keys');
      return rows[0].count as number;
    },
    charge(id, charge: ModelUsage) {
      return inTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO sluice_client_key_usage (key_id, model, requests, prompt_tokens, completion_tokens, estimated_requests, cost_usd)
           VALUES ($1, $2, $7, $3, $4, $5, $6)
           ON CONFLICT (key_id, model) DO UPDATE SET
             requests = sluice_client_key_usage.requests + excluded.requests,
             prompt_tokens = sluice_client_key_usage.prompt_tokens + excluded.prompt_tokens,
             completion_tokens = sluice_client_key_usage.completion_tokens + excluded.completion_tokens,
             estimated_requests = sluice_client_key_usage.estimated_requests + excluded.estimated_requests,
             cost_usd = sluice_client_key_usage.cost_usd + excluded.cost_usd`,
          [id, charge.model, charge.promptTokens, charge.completionTokens, charge.estimatedRequests, charge.costUsd, charge.requests],
        );
        const { rows } = await client.query(
          'UPDATE sluice_client_keys SET spent_tokens = spent_tokens + $2, spent_usd = spent_usd + $3 WHERE id = $1 RETURNING spent_tokens, spent_usd',
          [id, charge.promptTokens + charge.completionTokens, charge.costUsd],
        );
        return { spentTokens: Number(rows[0].spent_tokens), spentUsd: Number(rows[0].spent_usd) };
      });
    },
    async usageOf(id): Promise<ModelUsage[]> {
      const { rows } = await pool.query('SELECT * FROM sluice_client_key_usage WHERE key_id = $1 ORDER BY model', [id]);
      return rows.map((row) => ({
        model: row.model,
        requests: Number(row.requests),
        promptTokens: Number(row.prompt_tokens),
        completionTokens: Number(row.completion_tokens),
        estimatedRequests: Number(row.estimated_requests),
        costUsd: Number(row.cost_usd),
      }));
    },
    async close() {
      await pool.end();
    },
  };
}
