/**
 * The document collections behind `retrieval` requests. Every input check is the store's (it throws
 * `SluiceError`s naming the field: 400, 413, 404), so the HTTP API, the CLI and embedding code refuse
 * the same things with the same words. Bodies and answers use snake_case, like the rest of the API.
 */

import { wasEnded, type HttpRequest, type HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import type { CollectionSummary, DocumentInput, DocumentSummary } from '../../retrieval/document.ts';
import { assertCollectionName } from '../../retrieval/retrieval-limits.ts';
import type { RetrievalStore } from '../../retrieval/retrieval-store.ts';
import { notFoundMessages } from '../../retrieval/store-options.ts';
import type { Settings } from '../config/settings.ts';
import type { LazyRetrievalStore } from '../config/lazy-retrieval-store.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { sendJson } from '../http/send-json.ts';

export interface CollectionServices {
  settings: Settings;
  retrieval: LazyRetrievalStore;
}

/**
 * The store that holds `collection`, for a read: a store never written to holds no collection, so the
 * answer is the store's own 400 or 404 without creating it.
 */
export async function findStoreOf(services: CollectionServices, collection: string): Promise<RetrievalStore> {
  const store = await services.retrieval.find();
  if (store !== undefined) return store;
  assertCollectionName(collection);
  throw new SluiceError('not_found', notFoundMessages.collection(collection), { param: 'collection' });
}

/** `GET /v1/collections`: every collection, ordered by name. */
export async function getCollections(services: CollectionServices, response: HttpResponse, requestId: string): Promise<void> {
  const store = await services.retrieval.find();
  const collections = store === undefined ? [] : await store.listCollections();
  sendJson(response, 200, { collections: collections.map(toCollectionBody) }, { 'x-request-id': requestId });
}

/** `GET /v1/collections/{name}`: one collection's counts. */
export async function getCollection(services: CollectionServices, response: HttpResponse, name: string, requestId: string): Promise<void> {
  const collection = await (await findStoreOf(services, name)).getCollection(name);
  sendJson(response, 200, toCollectionBody(collection), { 'x-request-id': requestId });
}

/** `DELETE /v1/collections/{name}`: the collection with all its documents. */
export async function deleteCollection(services: CollectionServices, response: HttpResponse, name: string, requestId: string): Promise<void> {
  await (await findStoreOf(services, name)).deleteCollection(name);
  sendJson(response, 200, { name, deleted: true }, { 'x-request-id': requestId });
}

/**
 * `POST /v1/collections/{name}/documents`: one document (`{"id","title","text","format"?,"metadata"?}`)
 * or a batch (`{"documents":[...]}`), written all or none. A document whose id exists is replaced; the
 * collection is created by its first upload. A client that leaves cancels the embedding requests of a
 * hybrid store, and nothing is written.
 */
export async function postDocuments(
  services: CollectionServices,
  request: HttpRequest,
  response: HttpResponse,
  name: string,
  requestId: string,
): Promise<void> {
  const documents = documentsOf(await readJsonBody(request, services.settings.maxUploadBytes));
  const store = await services.retrieval.get();
  const controller = new AbortController();
  const onClose = (): void => {
    if (!wasEnded(response)) controller.abort();
  };
  response.once('close', onClose);
  try {
    // Unchecked here: the store validates every document before it writes anything.
    const result = await store.upsertDocuments(name, documents as DocumentInput[], { signal: controller.signal });
    if (controller.signal.aborted) return;
    const written = result.documents.map((document) => ({ id: document.id, chunk_count: document.chunkCount, replaced: document.replaced }));
    sendJson(response, 200, { collection: name, documents: written }, { 'x-request-id': requestId });
  } finally {
    response.off('close', onClose);
  }
}

/** A batch body's documents, or a single document as a batch of one. A batch holds nothing else. */
function documentsOf(body: Record<string, unknown>): unknown {
  if (!('documents' in body)) return [body];
  const unknownField = Object.keys(body).find((key) => key !== 'documents');
  if (unknownField !== undefined) {
    throw new SluiceError('bad_request', `Unknown field ${JSON.stringify(unknownField)}: a batch is {"documents": [...]} and nothing else`, { param: unknownField });
  }
  return body.documents;
}

/** `GET /v1/collections/{name}/documents?limit=100&after=<id>`: a page of documents ordered by id, without their text. */
export async function getDocuments(services: CollectionServices, response: HttpResponse, url: URL, name: string, requestId: string): Promise<void> {
  const limit = url.searchParams.get('limit');
  const after = url.searchParams.get('after');
  const page = await (await findStoreOf(services, name)).listDocuments(name, {
    // Anything but digits goes to the store as it came, which refuses it naming what it got.
    ...(limit === null ? {} : { limit: /^\d+$/.test(limit) ? Number(limit) : (limit as unknown as number) }),
    ...(after === null ? {} : { afterId: after }),
  });
  sendJson(
    response,
    200,
    { collection: name, documents: page.documents.map(toDocumentBody), next_after: page.nextAfterId ?? null },
    { 'x-request-id': requestId },
  );
}

/** `DELETE /v1/collections/{name}/documents/{id}` (an id holding `/` is sent as `%2F`). */
export async function deleteDocument(services: CollectionServices, response: HttpResponse, name: string, id: string, requestId: string): Promise<void> {
  await (await findStoreOf(services, name)).deleteDocument(name, id);
  sendJson(response, 200, { collection: name, id, deleted: true }, { 'x-request-id': requestId });
}

function toCollectionBody(collection: CollectionSummary) {
  return { name: collection.name, document_count: collection.documentCount, chunk_count: collection.chunkCount, created_at: collection.createdAt };
}

function toDocumentBody(document: DocumentSummary) {
  return {
    id: document.id,
    title: document.title,
    metadata: document.metadata,
    chunk_count: document.chunkCount,
    text_bytes: document.textBytes,
    updated_at: document.updatedAt,
  };
}
