import { existsSync } from 'node:fs';
import { isSluiceError, SluiceError } from '@sluice/protocol';
import { createRetrievalStore, type RetrievalStoreConfig } from '../../retrieval/create-retrieval-store.ts';
import type { RetrievalStore } from '../../retrieval/retrieval-store.ts';
import type { Settings } from './settings.ts';
import type { Logger } from '../observability/logger.ts';

/** The one retrieval store of a Sluice instance, opened on first use. */
export interface LazyRetrievalStore {
  /**
   * The store, opened by the first call. A failure to open is thrown to that caller and the next call
   * tries again, so a database that was down at first is picked up once it is back.
   */
  get(): Promise<RetrievalStore>;
  /**
   * The store for a read: undefined while the SQLite file was never created, so that listing collections or
   * looking one up (the chat page does on load) leaves no file behind; only an upload creates it.
   */
  find(): Promise<RetrievalStore | undefined>;
  /** Closes the store if it was opened; `get` fails with `shutting_down` from then on. */
  close(): Promise<void>;
}

/** Where collections live, from the settings: PostgreSQL with `DATABASE_URL`, else the SQLite file. */
export function retrievalStoreConfig(settings: Settings): RetrievalStoreConfig {
  const { databaseUrl, retrievalSqlitePath, embeddingsBaseUrl, embeddingsApiKey, embeddingsModel } = settings;
  return {
    databaseUrl,
    sqlitePath: retrievalSqlitePath,
    embeddings: embeddingsBaseUrl === undefined ? undefined : { baseUrl: embeddingsBaseUrl, apiKey: embeddingsApiKey, model: embeddingsModel },
  };
}

/**
 * Opened on first use rather than at startup, so that an instance that never serves collections creates
 * no SQLite file and needs no database. Errors of the database itself (a lost connection, a locked file)
 * reach callers as a retryable `upstream_error` naming the store; their cause goes to the log only,
 * since it may name a host or a user. The store's own `SluiceError`s (400, 404, 413, the embeddings
 * endpoint's failures) pass unchanged.
 */
export function createLazyRetrievalStore(settings: Settings, logger: Logger): LazyRetrievalStore {
  const config = retrievalStoreConfig(settings);
  const backend = config.databaseUrl === undefined ? 'sqlite' : 'postgres';
  const toStoreError = (error: unknown): SluiceError => {
    if (isSluiceError(error)) return error;
    logger.error({ err: error, backend }, 'retrieval store failed');
    return new SluiceError('upstream_error', `The retrieval store (${backend}) failed; the server log has the cause`, { cause: error });
  };
  let opening: Promise<RetrievalStore> | undefined;
  let closed = false;

  const get = (): Promise<RetrievalStore> => {
    if (closed) return Promise.reject(new SluiceError('shutting_down', 'Sluice is shutting down; retry on another instance'));
    opening ??= createRetrievalStore(config).then(
      (store) => {
        logger.info({ backend, hybrid: store.description.hybrid }, 'retrieval store opened');
        return guardStoreErrors(store, toStoreError);
      },
      (error: unknown) => {
        opening = undefined;
        throw toStoreError(error);
      },
    );
    return opening;
  };
  const { retrievalSqlitePath } = settings;
  const neverWritten = (): boolean =>
    opening === undefined && backend === 'sqlite' && retrievalSqlitePath !== ':memory:' && !existsSync(retrievalSqlitePath);

  return {
    get,
    find: () => (neverWritten() ? Promise.resolve(undefined) : get()),
    async close() {
      closed = true;
      const store = await opening?.catch(() => undefined);
      await store?.close();
    },
  };
}

/** The same store, with every failure passed through `toStoreError`. */
function guardStoreErrors(store: RetrievalStore, toStoreError: (error: unknown) => SluiceError): RetrievalStore {
  const guard =
    <Arguments extends unknown[], Result>(method: (...args: Arguments) => Promise<Result>) =>
    async (...args: Arguments): Promise<Result> => {
      try {
        return await method(...args);
      } catch (error) {
        throw toStoreError(error);
      }
    };
  return {
    description: store.description,
    createCollection: guard(store.createCollection.bind(store)),
    listCollections: guard(store.listCollections.bind(store)),
    getCollection: guard(store.getCollection.bind(store)),
    deleteCollection: guard(store.deleteCollection.bind(store)),
    upsertDocuments: guard(store.upsertDocuments.bind(store)),
    listDocuments: guard(store.listDocuments.bind(store)),
    deleteDocument: guard(store.deleteDocument.bind(store)),
    search: guard(store.search.bind(store)),
    close: store.close.bind(store),
  };
}
