import { DatabaseSync } from 'node:sqlite';
import { fieldColumns, keyFromRow, toColumnValue } from '../key-columns.ts';
import type { ClientKeyFields, ClientKeyRecord, KeyStore, ModelUsage, NewClientKeyRecord } from '../key-store.ts';
import { migrateSqliteKeySchema } from './sqlite-key-schema.ts';

/**
 * Keys in a SQLite file through `node:sqlite`. WAL lets the CLI write keys while the gateway reads them;
 * `synchronous = NORMAL` commits without an fsync (a crash of the process loses nothing, a power cut at
 * most the last moments of usage), since a usage charge is written at the end of every stream and an
 * fsync there would hold the event loop for milliseconds.
 */
export function createSqliteKeyStore(path: string): KeyStore {
  const database = new DatabaseSync(path, { timeout: 5000 });
  if (path !== ':memory:') database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA synchronous = NORMAL');
  migrateSqliteKeySchema(database);
  const fieldNames = Object.keys(fieldColumns) as (keyof ClientKeyFields)[];
  const statements = {
    insert: database.prepare(
      `INSERT INTO client_keys (id, hash, hint, ${fieldNames.map((field) => fieldColumns[field]).join(', ')}, created_at)
       VALUES (?, ?, ?, ${fieldNames.map(() => '?').join(', ')}, ?) RETURNING *`,
    ),
    list: database.prepare('SELECT * FROM client_keys ORDER BY created_at, id'),
    get: database.prepare('SELECT * FROM client_keys WHERE id = ?'),
    findByHash: database.prepare('SELECT * FROM client_keys WHERE hash = ?'),
    revoke: database.prepare('UPDATE client_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *'),
    count: database.prepare('SELECT count(*) AS count FROM client_keys'),
    addSpend: database.prepare('UPDATE client_keys SET spent_tokens = spent_tokens + ?, spent_usd = spent_usd + ? WHERE id = ? RETURNING spent_tokens, spent_usd'),
    addUsage: database.prepare(`
      INSERT INTO client_key_usage (key_id, model, requests, prompt_tokens, completion_tokens, estimated_requests, cost_usd)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key_id, model) DO UPDATE SET
        requests = requests + excluded.requests,
        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
        completion_tokens = completion_tokens + excluded.completion_tokens,
        estimated_requests = estimated_requests + excluded.estimated_requests,
        cost_usd = cost_usd + excluded.cost_usd`),
    usageOf: database.prepare('SELECT * FROM client_key_usage WHERE key_id = ? ORDER BY model'),
  };
  const found = (row: Record<string, unknown> | undefined): ClientKeyRecord | undefined => (row === undefined ? undefined : keyFromRow(row));

  return {
    backend: 'sqlite',
    async create(key: NewClientKeyRecord) {
      const values = fieldNames.map((field) => toColumnValue(field, key[field]));
      return keyFromRow(statements.insert.get(key.id, key.hash, key.hint, ...values, new Date().toISOString())!);
    },
    async list() {
      return statements.list.all().map(keyFromRow);
    },
    async get(id) {
      return found(statements.get.get(id));
    },
    async findByHash(hash) {
      return found(statements.findByHash.get(hash));
    },
    async update(id, changes) {
      const fields = fieldNames.filter((field) => changes[field] !== undefined);
      if (fields.length === 0) return found(statements.get.get(id));
      // Column names come from fieldColumns, never from the request.
      const assignments = fields.map((field) => `${fieldColumns[field]} = ?`).join(', ');
      const row = database.prepare(`UPDATE client_keys SET ${assignments} WHERE id = ? RETURNING *`).get(...fields.map((field) => toColumnValue(field, changes[field])), id);
      return found(row);
    },
    async revoke(id) {
      return found(statements.revoke.get(new Date().toISOString(), id));
    },
    async count() {
      return Number((statements.count.get() as { count: number }).count);
    },
    async charge(id, charge: ModelUsage) {
      database.exec('BEGIN IMMEDIATE');
      try {
        statements.addUsage.run(id, charge.model, charge.requests, charge.promptTokens, charge.completionTokens, charge.estimatedRequests, charge.costUsd);
        const spent = statements.addSpend.get(charge.promptTokens + charge.completionTokens, charge.costUsd, id) as { spent_tokens: number; spent_usd: number };
        database.exec('COMMIT');
        return { spentTokens: spent.spent_tokens, spentUsd: spent.spent_usd };
      } catch (error) {
        database.exec('ROLLBACK');
        throw error;
      }
    },
    async usageOf(id): Promise<ModelUsage[]> {
      return statements.usageOf.all(id).map((row) => ({
        model: row.model as string,
        requests: row.requests as number,
        promptTokens: row.prompt_tokens as number,
        completionTokens: row.completion_tokens as number,
        estimatedRequests: row.estimated_requests as number,
        costUsd: row.cost_usd as number,
      }));
    },
    async close() {
      if (database.isOpen) database.close();
    },
  };
}
