/**
 * OpenAI embeddings, `POST /v1/embeddings` (https://platform.openai.com/docs/api-reference/embeddings):
 * `{"object":"list","data":[{"object":"embedding","index","embedding"}],"model","usage"}`, with
 * `encoding_format: "base64"` (the openai SDK's default) as little-endian float32 bytes.
 *
 * Vectors are a hashed bag of words, L2-normalized: deterministic, and texts that share words are
 * closer, which is all a retrieval test needs.
 */

import type { Endpoint, RequestContext } from './endpoint.ts';
import { openAiErrorBody } from './openai-error.ts';

/** @default dimensions when the request does not ask for some */
export const defaultEmbeddingDimensions = 256;

export const openAiEmbeddingsEndpoint: Endpoint = {
  requestIdHeader: 'x-request-id',
  isStreaming: () => false,
  complete: completeEmbeddings,
  errorBody: openAiErrorBody,
};

function completeEmbeddings(context: RequestContext): unknown {
  const input: unknown = context.body?.input;
  const texts = (Array.isArray(input) && input.every((item) => typeof item !== 'number') ? input : [input]).map((item) =>
    Array.isArray(item) ? item.join(' ') : String(item ?? ''),
  );
  const dimensions = Number.isInteger(context.body?.dimensions) ? (context.body.dimensions as number) : defaultEmbeddingDimensions;
  const base64 = context.body?.encoding_format === 'base64';
  const promptTokens = texts.reduce((sum, text) => sum + words(text).length, 0);
  return {
    object: 'list',
    data: texts.map((text, index) => {
      const vector = embedText(text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector) };
    }),
    model: context.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Each word adds ±1 at a hashed position; the result has length 1 (or is all zeros for no words). */
export function embedText(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const word of words(text)) {
    const hash = fnv1a(word);
    vector[hash % dimensions]! += hash & 0x8000_0000 ? -1 : 1;
  }
  const norm = Math.hypot(...vector);
  if (norm > 0) for (let index = 0; index < dimensions; index += 1) vector[index]! /= norm;
  return vector;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
