import type { Pool, PoolClient } from 'pg';

/** Serializes schema creation between instances starting at once (CREATE TABLE IF NOT EXISTS can race). */
const migrationLockKey = 0x51_1c_e0_01;

/** The text search configuration of the index and of queries: English stemming and stop words. */
export const textSearchConfig = 'english';

/**
 * Creates the tables on first use, shared by every instance pointed at the database. Names and ids
 * compare bytewise (`COLLATE "C"`), as in SQLite, so paging by id is the same everywhere. The search vector
 * is a generated column, so it can never drift from the text: title and headings weigh as `A`, the body
 * as `B` (`ts_rank` counts them 1.0 and 0.4).
 */
export function migratePostgresSchema(pool: Pool): Promise<void> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey]);
    await client.query(`
      CREATE SEQUENCE IF NOT EXISTS sluice_collection_revisions;
      CREATE TABLE IF NOT EXISTS sluice_collections (
        name text COLLATE "C" PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- A new value on every write, so other instances reload their cached vectors of the collection.
        revision bigint NOT NULL DEFAULT nextval('sluice_collection_revisions')
      );
      CREATE TABLE IF NOT EXISTS sluice_documents (
        collection text COLLATE "C" NOT NULL REFERENCES sluice_collections (name) ON DELETE CASCADE,
        id text COLLATE "C" NOT NULL,
        title text NOT NULL,
        metadata jsonb NOT NULL,
        text_bytes integer NOT NULL,
        chunk_count integer NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (collection, id)
      );
      CREATE TABLE IF NOT EXISTS sluice_chunks (
        collection text COLLATE "C" NOT NULL,
        document_id text COLLATE "C" NOT NULL,
        chunk_index integer NOT NULL,
        heading text NOT NULL,
        heading_path jsonb NOT NULL,
        text text NOT NULL,
        -- float32, unit length, searched in memory (see vector-index.ts): pgvector is not assumed.
        embedding bytea,
        search_vector tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('${textSearchConfig}', heading), 'A') || setweight(to_tsvector('${textSearchConfig}', text), 'B')
        ) STORED,
        PRIMARY KEY (collection, document_id, chunk_index),
        FOREIGN KEY (collection, document_id) REFERENCES sluice_documents (collection, id) ON DELETE CASCADE
      );
      CREATE INDEX IF NOT EXISTS sluice_chunks_search_vector ON sluice_chunks USING gin (search_vector);
    `);
  });
}

/**
 * Runs `work` in a transaction on one pooled connection. On failure it rolls back and rethrows the
 * original error; a connection that cannot even roll back is destroyed instead of returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let result: T;
  try {
    await client.query('BEGIN');
    result = await work(client);
    await client.query('COMMIT');
  } catch (error) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    client.release(!rolledBack);
    throw error;
  }
  client.release();
  return result;
}
