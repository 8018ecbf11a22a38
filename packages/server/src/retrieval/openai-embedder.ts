import { request } from 'undici';
import { SluiceError } from '@sluice/protocol';
import type { Embedder } from './embedder.ts';

/** Where and how to call an OpenAI-compatible embeddings endpoint (`POST {baseUrl}/embeddings`). */
export interface OpenAiEmbedderOptions {
  /** The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never logged and never part of an error message. */
  apiKey?: string;
  /** e.g. `text-embedding-3-small`. */
  model: string;
  /** Asks the model for shorter vectors, when it supports it (OpenAI `dimensions`). */
  dimensions?: number;
  /** Texts per request; larger batches are split. @default 64 */
  maxInputsPerRequest?: number;
  /** Time allowed for one request, headers and body. @default 30000 */
  timeoutMs?: number;
  /** Largest response body accepted, in bytes. @default 67108864 */
  maxResponseBytes?: number;
}

/**
 * An `Embedder` backed by any server that speaks the OpenAI embeddings API
 * (https://platform.openai.com/docs/api-reference/embeddings/create), called with undici `request` over
 * its keep-alive pool. Errors never quote the upstream body or the URL: either may carry the key.
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const maxInputsPerRequest = options.maxInputsPerRequest ?? 64;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxResponseBytes = options.maxResponseBytes ?? 67_108_864;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`;

  async function embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const timeoutSignal = AbortSignal.timeout(timeoutMs);
    const combinedSignal = signal === undefined ? timeoutSignal : AbortSignal.any([signal, timeoutSignal]);
    const body = JSON.stringify({
      model: options.model,
      input: texts,
      encoding_format: 'float',
      ...(options.dimensions === undefined ? {} : { dimensions: options.dimensions }),
    });
    let responseText: string;
    let statusCode: number;
    let retryAfter: string | string[] | undefined;
    try {
      const response = await request(url, { method: 'POST', headers, body, signal: combinedSignal });
      statusCode = response.statusCode;
      retryAfter = response.headers['retry-after'];
      responseText = await readBoundedText(response.body, maxResponseBytes);
    } catch (error) {
      if (signal?.aborted) throw new SluiceError('cancelled', 'Embedding request was cancelled', { cause: error });
      if (timeoutSignal.aborted) {
        throw new SluiceError('upstream_timeout', `Embeddings endpoint did not answer within ${timeoutMs} ms`, { cause: error });
      }
      if (error instanceof SluiceError) throw error;
      throw new SluiceError('upstream_error', 'Embeddings endpoint could not be reached', { cause: error });
    }
    if (statusCode === 429) {
      const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      throw new SluiceError('rate_limited', 'Embeddings endpoint is rate limiting requests (HTTP 429)', {
        ...(Number.isFinite(seconds) ? { retryAfterSeconds: seconds } : {}),
      });
    }
    if (statusCode < 200 || statusCode > 299) {
      const reason = statusCode === 401 || statusCode === 403 ? ' (check the embeddings API key)' : '';
      throw new SluiceError('upstream_error', `Embeddings endpoint answered HTTP ${statusCode}${reason}`, { retryable: statusCode >= 500 });
    }
    return parseEmbeddings(responseText, texts.length);
  }

  return {
    async embed(texts, signal) {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += maxInputsPerRequest) {
        vectors.push(...(await embedBatch(texts.slice(start, start + maxInputsPerRequest), signal)));
      }
      return vectors;
    },
  };
}

async function readBoundedText(body: AsyncIterable<Buffer>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  for await (const chunk of body) {
    receivedBytes += chunk.length;
    if (receivedBytes > maxBytes) {
      throw new SluiceError('upstream_error', `Embeddings response is larger than the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks the `{ data: [{ index, embedding }] }` shape and puts the vectors back in input order. */
function parseEmbeddings(responseText: string, expectedCount: number): Float32Array[] {
  const invalid = (what: string) => new SluiceError('upstream_error', `Embeddings response is invalid: ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(responseText);
  } catch {
    throw invalid('not JSON');
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== expectedCount) throw invalid(`expected ${expectedCount} embeddings in "data"`);
  const vectors = new Array<Float32Array>(expectedCount);
  data.forEach((item: { index?: unknown; embedding?: unknown }, position) => {
    const index = typeof item?.index === 'number' ? item.index : position;
    const embedding = item?.embedding;
    if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every((value) => typeof value === 'number')) {
      throw invalid(`data[${position}].embedding is not an array of numbers`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= expectedCount || vectors[index] !== undefined) {
      throw invalid(`data[${position}].index is out of range or repeated`);
    }
    vectors[index] = Float32Array.from(embedding);
  });
  const dimensions = vectors[0]!.length;
  if (vectors.some((vector) => vector.length !== dimensions)) throw invalid('embeddings differ in length');
  return vectors;
}
