import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { SluiceError } from '@sluice/protocol';
import type { DocumentFormat, DocumentInput } from './document.ts';
import { findFirstHeading } from './read-markdown-blocks.ts';
import { assertCollectionName, defaultRetrievalLimits, validateDocuments } from './retrieval-limits.ts';
import type { RetrievalStore } from './retrieval-store.ts';

export interface IngestFolderOptions {
  /** Documents per `upsertDocuments` call; at most the store's `maxDocumentsPerBatch`. @default 50 */
  batchSize?: number;
  /** Largest file accepted, in bytes; at most the store's `maxDocumentBytes`. @default 1_048_576 */
  maxFileBytes?: number;
  /** Called after each batch is written. */
  onProgress?: (progress: { writtenDocuments: number; totalDocuments: number }) => void;
  /** Stops between batches and cancels embedding requests. */
  signal?: AbortSignal;
}

export interface IngestFolderResult {
  documents: number;
  chunks: number;
  /** Documents that replaced an earlier upload of the same path. */
  replaced: number;
  /** Files holding only whitespace, which have nothing to retrieve (document ids). */
  skippedEmpty: string[];
}

const formatsByExtension: Record<string, DocumentFormat> = { '.md': 'markdown', '.markdown': 'markdown', '.txt': 'text' };

/**
 * Ingests every `.md`, `.markdown` and `.txt` file under `folder` (recursively; hidden files and folders
 * and symbolic links are skipped) into `collection`, creating it if needed. Each document's id is its path
 * relative to `folder` with `/` separators, so ingesting again replaces rather than duplicates; its title
 * is the first Markdown heading, or else the file name without its extension; its metadata is `{ path }`.
 *
 * Every file is read and checked (size, UTF-8, the store's default limits) before anything is written,
 * and an error names the file.
 * Batches are then written in path order; if one fails, the batches before it stay, and running the
 * ingest again completes it. Files deleted from the folder are not removed from the collection.
 *
 * This is the library behind `sluice ingest <folder> --collection <name>`.
 */
export async function ingestFolder(
  store: RetrievalStore,
  collection: string,
  folder: string,
  options: IngestFolderOptions = {},
): Promise<IngestFolderResult> {
  assertCollectionName(collection);
  const batchSize = options.batchSize ?? 50;
  const maxFileBytes = options.maxFileBytes ?? defaultRetrievalLimits.maxDocumentBytes;
  const files = await readFolderDocuments(folder, maxFileBytes);
  if (files.length === 0) {
    throw new SluiceError('bad_request', `Folder ${JSON.stringify(folder)} holds no .md, .markdown or .txt files`, { param: 'folder' });
  }
  const documents = files.filter((document) => document.text.trim() !== '');
  const batches: DocumentInput[][] = [];
  for (let start = 0; start < documents.length; start += batchSize) {
    const batch = documents.slice(start, start + batchSize);
    validateDocuments(batch, { ...defaultRetrievalLimits, maxDocumentBytes: maxFileBytes, maxDocumentsPerBatch: batchSize });
    batches.push(batch);
  }
  const result: IngestFolderResult = {
    documents: 0,
    chunks: 0,
    replaced: 0,
    skippedEmpty: files.filter((document) => document.text.trim() === '').map((document) => document.id),
  };
  for (const batch of batches) {
    options.signal?.throwIfAborted();
    const written = await store.upsertDocuments(collection, batch, { signal: options.signal });
    for (const document of written.documents) {
      result.documents += 1;
      result.chunks += document.chunkCount;
      if (document.replaced) result.replaced += 1;
    }
    options.onProgress?.({ writtenDocuments: result.documents, totalDocuments: documents.length });
  }
  return result;
}

async function readFolderDocuments(folder: string, maxFileBytes: number): Promise<DocumentInput[]> {
  let entries;
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true });
  } catch (error) {
    throw new SluiceError('bad_request', `Folder ${JSON.stringify(folder)} cannot be read: ${(error as NodeJS.ErrnoException).code}`, {
      param: 'folder',
      cause: error,
    });
  }
  const files = entries
    .filter((entry) => entry.isFile() && extname(entry.name).toLowerCase() in formatsByExtension)
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .filter((path) => !path.split(sep).some((segment) => segment.startsWith('.')))
    .sort();

  for (const path of files) {
    const { size } = await stat(join(folder, path));
    if (size > maxFileBytes) {
      throw new SluiceError('payload_too_large', `File ${JSON.stringify(path)} is ${size} bytes, the limit is ${maxFileBytes} bytes`, {
        param: 'folder',
      });
    }
  }

  // One file at a time: a folder of thousands of files must not exhaust file descriptors.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const documents: DocumentInput[] = [];
  for (const path of files) {
    const id = path.split(sep).join('/');
    let text: string;
    try {
      text = decoder.decode(await readFile(join(folder, path))).replace(/^\uFEFF/, '');
    } catch (error) {
      throw new SluiceError('bad_request', `File ${JSON.stringify(id)} is not UTF-8 text`, { param: 'folder', cause: error });
    }
    const format = formatsByExtension[extname(path).toLowerCase()]!;
    const title = (format === 'markdown' ? findFirstHeading(text) : undefined) ?? basename(path, extname(path));
    documents.push({ id, title: title.slice(0, defaultRetrievalLimits.maxTitleChars), text, format, metadata: { path: id } });
  }
  return documents;
}
