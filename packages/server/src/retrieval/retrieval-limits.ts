import { describeValue, SluiceError } from '@sluice/protocol';
import type { DocumentInput } from './document.ts';

/**
 * Bounds on what a store accepts. Every store checks them before it writes anything, so a batch either
 * goes in whole or not at all, and the error names the field and the document at fault.
 */
export interface RetrievalLimits {
  /** Largest document text, in UTF-8 bytes (413 above it). @default 1_048_576 */
  maxDocumentBytes: number;
  /** Most documents in one upsert call (413 above it). @default 100 */
  maxDocumentsPerBatch: number;
  /** @default 256 */
  maxDocumentIdChars: number;
  /** @default 512 */
  maxTitleChars: number;
  /** Largest metadata object, serialized as JSON, in UTF-8 bytes. @default 8192 */
  maxMetadataBytes: number;
  /** Largest `topK` a search may ask for. @default 50 */
  maxTopK: number;
  /** Longest search query, in characters. @default 2000 */
  maxQueryChars: number;
}

export const defaultRetrievalLimits: Readonly<RetrievalLimits> = Object.freeze({
  maxDocumentBytes: 1_048_576,
  maxDocumentsPerBatch: 100,
  maxDocumentIdChars: 256,
  maxTitleChars: 512,
  maxMetadataBytes: 8192,
  maxTopK: 50,
  maxQueryChars: 2000,
});

/** Lowercase so that two names never differ by case only; URL-safe so it can be a path segment. */
const collectionNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const controlCharacterPattern = /\p{Cc}/u;

/** Throws `bad_request` unless `name` is 1–63 of `a-z 0-9 . _ -`, starting with a letter or digit. */
export function assertCollectionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !collectionNamePattern.test(name)) {
    throw new SluiceError(
      'bad_request',
      `Collection name ${JSON.stringify(name)} is invalid: use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { param: 'collection' },
    );
  }
}

/**
 * Checks a whole batch before anything is written: shape, sizes, duplicates. Returns the documents with
 * `format` and `metadata` filled in.
 */
export function validateDocuments(documents: unknown, limits: RetrievalLimits): Required<DocumentInput>[] {
  if (!Array.isArray(documents)) {
    throw new SluiceError('bad_request', `documents must be an array, got ${describeValue(documents)}`, { param: 'documents' });
  }
  if (documents.length === 0) {
    throw new SluiceError('bad_request', 'documents must hold at least one document', { param: 'documents' });
  }
  if (documents.length > limits.maxDocumentsPerBatch) {
    throw new SluiceError(
      'payload_too_large',
      `Too many documents in one batch: ${documents.length}, the limit is ${limits.maxDocumentsPerBatch}`,
      { param: 'documents' },
    );
  }
  const seenIds = new Set<string>();
  return documents.map((document: unknown, index) => {
    const validated = validateDocument(document, `documents[${index}]`, limits);
    if (seenIds.has(validated.id)) {
      throw new SluiceError('bad_request', `Document id ${JSON.stringify(validated.id)} appears more than once in the batch`, {
        param: `documents[${index}].id`,
      });
    }
    seenIds.add(validated.id);
    return validated;
  });
}

/** Everything a document may hold; anything else is a mistake (a misspelt `title`), refused like one. */
const documentFields: readonly (keyof DocumentInput)[] = ['id', 'title', 'text', 'format', 'metadata'];

function validateDocument(document: unknown, param: string, limits: RetrievalLimits): Required<DocumentInput> {
  if (!isPlainObject(document)) throw new SluiceError('bad_request', `${param} must be an object, got ${describeValue(document)}`, { param });
  const unknownField = Object.keys(document).find((key) => !(documentFields as readonly string[]).includes(key));
  if (unknownField !== undefined) {
    throw new SluiceError('bad_request', `${param}: unknown field ${JSON.stringify(unknownField)}; a document holds ${documentFields.join(', ')}`, {
      param: `${param}.${unknownField}`,
    });
  }
  const { id, title, text, format = 'markdown', metadata = {} } = document;
  if (typeof id !== 'string' || id.trim() === '' || id.length > limits.maxDocumentIdChars || controlCharacterPattern.test(id)) {
    throw new SluiceError(
      'bad_request',
      `${param}.id must be a non-blank string of at most ${limits.maxDocumentIdChars} characters without control characters, got ${describeValue(id)}`,
      { param: `${param}.id` },
    );
  }
  const named = `${param} (id ${JSON.stringify(id)})`;
  if (typeof title !== 'string' || title.length > limits.maxTitleChars || title.includes('\u0000')) {
    throw new SluiceError('bad_request', `${named}: title must be a string of at most ${limits.maxTitleChars} characters without NUL, got ${describeText(title)}`, {
      param: `${param}.title`,
    });
  }
  // PostgreSQL text cannot hold NUL, so no store accepts it: a document must be storable everywhere.
  if (typeof text !== 'string' || text.trim() === '' || text.includes('\u0000')) {
    throw new SluiceError('bad_request', `${named}: text must be a non-empty string without NUL characters, got ${describeText(text)}`, { param: `${param}.text` });
  }
  const textBytes = Buffer.byteLength(text, 'utf8');
  if (textBytes > limits.maxDocumentBytes) {
    throw new SluiceError('payload_too_large', `${named}: text is ${textBytes} bytes, the limit is ${limits.maxDocumentBytes} bytes`, {
      param: `${param}.text`,
    });
  }
  if (format !== 'markdown' && format !== 'text') {
    throw new SluiceError('bad_request', `${named}: format must be "markdown" or "text", got ${describeValue(format)}`, { param: `${param}.format` });
  }
  let metadataJson: string | undefined;
  try {
    metadataJson = isPlainObject(metadata) ? JSON.stringify(metadata) : undefined;
  } catch {
    metadataJson = undefined;
  }
  if (metadataJson === undefined || metadataJson.includes('\\u0000')) {
    throw new SluiceError('bad_request', `${named}: metadata must be a JSON object without NUL characters, got ${metadataJson === undefined ? describeValue(metadata) : 'an object holding NUL'}`, {
      param: `${param}.metadata`,
    });
  }
  const metadataBytes = Buffer.byteLength(metadataJson, 'utf8');
  if (metadataBytes > limits.maxMetadataBytes) {
    throw new SluiceError(
      'payload_too_large',
      `${named}: metadata is ${metadataBytes} bytes as JSON, the limit is ${limits.maxMetadataBytes} bytes`,
      { param: `${param}.metadata` },
    );
  }
  // Stored as its JSON, so every store gives back the same plain object (a Date becomes its string).
  return { id, title, text, format, metadata: JSON.parse(metadataJson) as Record<string, unknown> };
}

/** Throws `bad_request` for an empty or overlong query, or a `topK` outside 1..maxTopK. */
export function assertSearchRequest(query: unknown, topK: unknown, limits: RetrievalLimits): asserts query is string {
  if (typeof query !== 'string' || query.trim() === '') {
    throw new SluiceError('bad_request', `query must be a non-empty string, got ${describeValue(query)}`, { param: 'query' });
  }
  if (query.length > limits.maxQueryChars) {
    throw new SluiceError('bad_request', `query is ${query.length} characters, the limit is ${limits.maxQueryChars}`, {
      param: 'query',
    });
  }
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > limits.maxTopK) {
    throw new SluiceError('bad_request', `top_k must be an integer from 1 to ${limits.maxTopK}, got ${describeValue(topK)}`, { param: 'top_k' });
  }
}

/** A text's description that does not repeat a long text back (a string that is too long or holds NUL). */
function describeText(value: unknown): string {
  if (typeof value !== 'string') return describeValue(value);
  if (value.includes('\u0000')) return 'a string with NUL';
  return value.trim() === '' ? 'a blank string' : `a string of ${value.length} characters`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Resolves `listDocuments` paging options: `limit` 1..1000 (default 100), `afterId` a string. */
export function resolveListDocumentsOptions(options: { limit?: unknown; afterId?: unknown }): {
  limit: number;
  afterId: string | undefined;
} {
  const { limit = 100, afterId } = options;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new SluiceError('bad_request', `limit must be an integer from 1 to 1000, got ${describeValue(limit)}`, { param: 'limit' });
  }
  if (afterId !== undefined && typeof afterId !== 'string') {
    throw new SluiceError('bad_request', `after must be a document id, got ${describeValue(afterId)}`, { param: 'after' });
  }
  return { limit, afterId };
}
