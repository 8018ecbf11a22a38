/**
 * What a client uploads into a collection, and what a store gives back when listing. A document is the
 * unit of upload and replacement; the store splits it into chunks, the unit of retrieval.
 */

/** How the text is split: `markdown` respects headings and blocks, `text` splits on blank lines only. */
export type DocumentFormat = 'markdown' | 'text';

export interface DocumentInput {
  /** Unique within its collection; uploading the same id again replaces the document and its chunks. */
  id: string;
  title: string;
  /** Plain text or Markdown. */
  text: string;
  /** @default 'markdown' (plain text without Markdown syntax splits the same way) */
  format?: DocumentFormat;
  /** Any JSON object; returned with every search hit of this document. */
  metadata?: Record<string, unknown>;
}

export interface DocumentSummary {
  id: string;
  title: string;
  metadata: Record<string, unknown>;
  chunkCount: number;
  /** Size of the document's text in UTF-8 bytes. */
  textBytes: number;
  /** ISO 8601 time of the last upload. */
  updatedAt: string;
}

export interface CollectionSummary {
  name: string;
  documentCount: number;
  chunkCount: number;
  /** ISO 8601 time of creation. */
  createdAt: string;
}
