import { chunkDocument, type ChunkingOptions } from './chunk-document.ts';
import { createTimeSlicer } from './create-time-slicer.ts';
import { normalizeVector, type Embedder } from './embedder.ts';
import { validateDocuments, type RetrievalLimits } from './retrieval-limits.ts';

export interface PreparedChunk {
  index: number;
  headingPath: string[];
  text: string;
  /** Unit length, or undefined without an embedder. */
  embedding: Float32Array | undefined;
}

export interface PreparedDocument {
  id: string;
  title: string;
  metadata: Record<string, unknown>;
  textBytes: number;
  chunks: PreparedChunk[];
}

export interface PrepareSettings {
  limits: RetrievalLimits;
  chunking: ChunkingOptions;
  embedder: Embedder | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Everything an upsert needs before it touches storage: validation, chunking, and the chunk vectors, so
 * that a failure (a limit, the embeddings endpoint) leaves the store unchanged.
 */
export async function prepareDocuments(documents: unknown, settings: PrepareSettings): Promise<PreparedDocument[]> {
  const prepared: PreparedDocument[] = [];
  // Chunking a 12 MB batch takes about a second: a turn of the event loop between documents keeps streams flowing.
  const yieldWhenSliceSpent = createTimeSlicer();
  for (const document of validateDocuments(documents, settings.limits)) {
    await yieldWhenSliceSpent();
    prepared.push({
      id: document.id,
      title: document.title,
      metadata: document.metadata,
      textBytes: Buffer.byteLength(document.text, 'utf8'),
      chunks: chunkDocument(document.text, document.format, settings.chunking).map((chunk) => ({ ...chunk, embedding: undefined })),
    });
  }
  if (settings.embedder === undefined) return prepared;
  const pairs = prepared.flatMap((document) => document.chunks.map((chunk) => ({ title: document.title, chunk })));
  const vectors = await settings.embedder.embed(
    pairs.map(({ title, chunk }) => `${describeChunkHeading(title, chunk.headingPath)}\n\n${chunk.text}`),
    settings.signal,
  );
  pairs.forEach(({ chunk }, index) => {
    chunk.embedding = normalizeVector(vectors[index]!);
  });
  return prepared;
}

/**
 * What a chunk is indexed under besides its body: the document title and the chunk's headings, since
 * the body alone often omits its subject. Lexical search weighs it above the body; the vector covers both.
 */
export function describeChunkHeading(title: string, headingPath: readonly string[]): string {
  return [title, ...headingPath].join('\n');
}
