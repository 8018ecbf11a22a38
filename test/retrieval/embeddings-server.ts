import { createServer, type IncomingMessage } from 'node:http';

export interface EmbeddingsServer {
  /** e.g. `http://127.0.0.1:43210/v1` */
  baseUrl: string;
  /** The key the server expects as `Authorization: Bearer <apiKey>`; other keys get 401. */
  apiKey: string;
  /** Every request received, in order. */
  requests: { authorization: string | undefined; model: unknown; inputCount: number }[];
  /** Makes every following request fail with this HTTP status (its body quotes the key), until `undefined`. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible `POST /v1/embeddings` for tests. Vectors are deterministic feature hashes of the
 * text: each character trigram of a word and, with half the weight, the word itself (lowercase, a
 * trailing "s" dropped, common words skipped) lands in one of `dimensions` buckets with a hashed sign.
 * Similar spellings get similar vectors, which a lexical index cannot give, so hybrid search has
 * something to add; there is no meaning in them, so paraphrases gain nothing.
 */
export async function startEmbeddingsServer(dimensions = 256): Promise<EmbeddingsServer> {
  const apiKey = 'sk-test-5f1b2c9e-never-echo-me';
  const requests: EmbeddingsServer['requests'] = [];
  let failureStatus: number | undefined;

  const server = createServer(async (request, response) => {
    const body = JSON.parse(await readText(request)) as { input: string | string[]; model: unknown };
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    requests.push({ authorization: request.headers.authorization, model: body.model, inputCount: inputs.length });
    const send = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    if (request.url !== '/v1/embeddings' || request.method !== 'POST') return send(404, { error: { message: 'Not found' } });
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return send(401, { error: { message: `Incorrect API key provided: ${request.headers.authorization}` } });
    }
    if (failureStatus !== undefined) return send(failureStatus, { error: { message: `Failure for key ${apiKey}` } });
    send(200, {
      object: 'list',
      data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: embedText(input, dimensions) })),
      model: body.model,
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    failWith(status) {
      failureStatus = status;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const commonWords = new Set(
  'a an and are as at by do does for from has her his in is it its of on or she he the their to was what when where which who why with'.split(
    ' ',
  ),
);

function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const hash = fnv1a(feature);
    vector[hash % dimensions]! += hash & 0x8000_0000 ? weight : -weight;
  };
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    if (commonWords.has(match[0])) continue;
    const word = match[0].length > 3 ? match[0].replace(/s$/, '') : match[0];
    add(`w:${word}`, 0.5);
    const padded = ` ${word} `;
    for (let index = 0; index + 3 <= padded.length; index++) add(`t:${padded.slice(index, index + 3)}`, 1);
  }
  const length = Math.hypot(...vector) || 1;
  return vector.map((value) => value / length);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x0100_0193) >>> 0;
  }
  return hash;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
