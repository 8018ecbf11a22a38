import { z } from 'zod';
import { defaultRetrievalLimits } from '../../retrieval/retrieval-limits.ts';

/** What a request's `retrieval` asks for; `topK` undefined takes `SLUICE_RETRIEVAL_TOP_K`. */
export interface RetrievalOptions {
  collection: string;
  topK: number | undefined;
}

const topK = z.number().int().min(1).max(defaultRetrievalLimits.maxTopK);

/**
 * `"retrieval": {"collection": "handbook", "top_k": 5}`: ground the answer in a collection. The same
 * field in every dialect that offers it (the Sluice dialect, OpenAI chat completions); strict, so that a
 * misspelt key is an error rather than a silently ungrounded answer.
 */
export const retrievalFieldSchema = z
  .strictObject({ collection: z.string().min(1, 'must name a collection'), top_k: topK.optional() })
  .transform(({ collection, top_k }): RetrievalOptions => ({ collection, topK: top_k }));

/** `top_k` as a query parameter (`GET /v1/chat/stream?collection=handbook&top_k=5`). */
export const topKQuerySchema = z
  .string()
  .regex(/^\d+$/)
  .transform(Number)
  .pipe(topK)
  .describe(`a whole number from 1 to ${defaultRetrievalLimits.maxTopK}`);
