import type { DatabaseSync } from 'node:sqlite';

const schemaVersion = 1;

/**
 * Creates the tables on first open. Each collection gets its own FTS5 table (`fts_<collection id>`,
 * created with the collection) so that BM25's document frequencies are those of the collection, not of
 * every collection in the file, and a query reads only its own index.
 */
export function migrateSqliteSchema(database: DatabaseSync): void {
  const { user_version: version } = database.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version === schemaVersion) return;
  database.exec(`
    BEGIN IMMEDIATE;
    CREATE TABLE IF NOT EXISTS collections (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      -- A new random value on every write, so cached vectors of a changed collection are reloaded.
      revision INTEGER NOT NULL DEFAULT (random())
    );
    CREATE TABLE IF NOT EXISTS documents (
      collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
      id TEXT NOT NULL,
      title TEXT NOT NULL,
      metadata TEXT NOT NULL,
      text_bytes INTEGER NOT NULL,
      chunk_count INTEGER NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (collection_id, id)
    ) WITHOUT ROWID;
    -- The chunk id is also its rowid in the collection's FTS table.
    CREATE TABLE IF NOT EXISTS chunks (
      id INTEGER PRIMARY KEY,
      collection_id INTEGER NOT NULL,
      document_id TEXT NOT NULL,
      chunk_index INTEGER NOT NULL,
      heading_path TEXT NOT NULL,
      text TEXT NOT NULL,
      embedding BLOB,
      UNIQUE (collection_id, document_id, chunk_index),
      FOREIGN KEY (collection_id, document_id) REFERENCES documents (collection_id, id) ON DELETE CASCADE
    );
    PRAGMA user_version = ${schemaVersion};
    COMMIT;
  `);
}

/** The FTS table of a collection; the name comes from an integer id, never from user text. */
export function ftsTableName(collectionId: number): string {
  return `fts_${collectionId}`;
}

/**
 * Contentless (the text lives in `chunks`) with deletes allowed; Porter stemming so that "lighthouses"
 * finds "lighthouse", and diacritics folded so that "cafe" finds "café".
 */
export function createFtsTableSql(collectionId: number): string {
  return `CREATE VIRTUAL TABLE IF NOT EXISTS ${ftsTableName(collectionId)} USING fts5(
    heading, body, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2'
  )`;
}
