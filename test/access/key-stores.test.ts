/** Both key stores against the one contract: SQLite in a temporary file, PostgreSQL in a throwaway server. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { createPostgresKeyStore } from '../../packages/server/src/keys/postgres/postgres-key-store.ts';
import { createSqliteKeyStore } from '../../packages/server/src/keys/sqlite/sqlite-key-store.ts';
import { startPostgres, type TemporaryPostgres } from '../retrieval/start-postgres.ts';
import { keyStoreContract } from './key-store-contract.ts';

describe('the SQLite key store', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'sluice-key-store-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));
  keyStoreContract(async () => createSqliteKeyStore(join(folder, 'keys.db')));
});

describe('the PostgreSQL key store', () => {
  let postgres: TemporaryPostgres;
  let url = '';
  before(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase();
  });
  after(() => postgres?.stop());
  keyStoreContract(() => createPostgresKeyStore({ connectionString: url }));
});
