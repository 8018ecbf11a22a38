/**
 * A real HTTP upstream for tests, speaking OpenAI Chat Completions, OpenAI Responses, Anthropic
 * Messages and OpenAI embeddings on 127.0.0.1, with knobs for timing and faults, and with its sockets
 * observable so that a test can prove a cancel reached the upstream.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Endpoint, RequestContext } from './endpoint.ts';
import { anthropicMessagesEndpoint } from './anthropic-messages.ts';
import { continueScenario } from './continuation.ts';
import { openAiChatEndpoint } from './openai-chat.ts';
import { openAiEmbeddingsEndpoint } from './openai-embeddings.ts';
import { openAiResponsesEndpoint } from './openai-responses.ts';
import type { Scenario } from './scenario.ts';
import { driveStream } from './stream-driver.ts';
import { writeEndlessLine } from './endless-line.ts';
import { sendRawResponse } from './raw-response.ts';
import { loadTranscript } from './transcript.ts';
import { createWireWriter, type WireWriter } from './wire-writer.ts';

export type { Flavour, FaultKind, ByteSplit, Scenario, ToolCallScript, UsageScript } from './scenario.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: any;
  /** performance.now() when the request's headers arrived. */
  receivedAt: number;
  /** performance.now() when the socket carrying this request closed; resolves then. */
  socketClosed: Promise<number>;
  /** Streamed tokens (text deltas, argument fragments, or transcript chunks) written so far; 0 for a JSON answer. */
  tokensSent: number;
  /** performance.now() when the last token was written. */
  lastTokenAt: number | undefined;
  /** True once the response ended normally (fully written). */
  completed: boolean;
}

export interface FakeProvider {
  /** Base URL including /v1, e.g. http://127.0.0.1:43123/v1 */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Set the scenario for the following requests (or a function choosing one per request). */
  setScenario(scenario: Scenario | ((request: RecordedRequest) => Scenario)): void;
  /** Resolves with the RecordedRequest when the next (or the n-th, from 0) request has arrived. */
  waitForRequest(index?: number): Promise<RecordedRequest>;
  /** Number of TCP connections open right now. */
  openConnections(): number;
  /** Closes the server and destroys every socket. */
  close(): Promise<void>;
}

const endpoints: Record<string, Endpoint> = {
  '/v1/chat/completions': openAiChatEndpoint,
  '/v1/responses': openAiResponsesEndpoint,
  '/v1/messages': anthropicMessagesEndpoint,
  '/v1/embeddings': openAiEmbeddingsEndpoint,
};

export async function startFakeProvider(options: { defaultScenario?: Scenario } = {}): Promise<FakeProvider> {
  let chooseScenario: Scenario | ((request: RecordedRequest) => Scenario) = options.defaultScenario ?? {};
  const requests: RecordedRequest[] = [];
  const waiters = new Map<number, Array<(request: RecordedRequest) => void>>();
  const socketClosedAt = new WeakMap<Socket, Promise<number>>();
  const sockets = new Set<Socket>();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake must fail the test loudly, not hang it.
      response.destroy(error as Error);
      throw error;
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socketClosedAt.set(
      socket,
      new Promise((resolve) => socket.once('close', () => {
        sockets.delete(socket);
        resolve(performance.now());
      })),
    );
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const body = parseJson(await readBody(request));
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: (request.url ?? '/').split('?')[0] ?? '/',
      headers: request.headers,
      body,
      receivedAt,
      socketClosed: socketClosedAt.get(request.socket) ?? Promise.resolve(performance.now()),
      tokensSent: 0,
      lastTokenAt: undefined,
      completed: false,
    };
    const serial = requests.push(record);
    for (const resolve of waiters.get(serial - 1) ?? []) resolve(record);
    waiters.delete(serial - 1);

    const chosen = typeof chooseScenario === 'function' ? chooseScenario(record) : chooseScenario;
    const endpoint = request.method === 'POST' ? endpoints[record.path] : undefined;
    const continued = chosen.continue ? continueScenario(record.path, body, chosen) : { scenario: chosen };
    if ('status' in continued) {
      const error = { error: { message: continued.message, type: 'invalid_request_error', param: null, code: null } };
      sendJson(response, continued.status, {}, JSON.stringify(error));
      return;
    }
    const scenario = continued.scenario;
    const requestId = `req_fake${serial}`;
    const writer = createWireWriter(response, scenario.byteSplit);
    if (scenario.headersDelayMs && !(await writer.wait(scenario.headersDelayMs))) return;

    if (endpoint === undefined) {
      const message = `Invalid URL (${record.method} ${record.path})`;
      const notFound = { error: { message, type: 'invalid_request_error', param: null, code: null } };
      sendJson(response, 404, { ...scenario.responseHeaders }, JSON.stringify(notFound));
      return;
    }
    const headers = { [endpoint.requestIdHeader]: requestId, ...scenario.responseHeaders };
    if (scenario.raw !== undefined) {
      await sendRawResponse(response, writer, scenario.raw, headers);
      return;
    }
    if (scenario.status !== undefined) {
      sendJson(response, scenario.status, headers, JSON.stringify(scenario.errorBody ?? endpoint.errorBody(scenario.status, requestId)));
      return;
    }
    const context: RequestContext = {
      scenario,
      body,
      model: typeof body?.model === 'string' ? body.model : 'fake-model',
      created: Math.floor(Date.now() / 1000),
      serial,
    };
    const answerWhole = scenario.completeWhenStreaming === true || (scenario.transcript === undefined && !endpoint.isStreaming(body));
    if (endpoint.stream === undefined || answerWhole) {
      if (scenario.firstTokenDelayMs && !(await writer.wait(scenario.firstTokenDelayMs))) return;
      await sendCompleteResponse(response, writer, endpoint, context, headers, record);
      return;
    }
    const stream = endpoint.stream(context);
    if (scenario.transcript !== undefined) stream.frames = loadTranscript(scenario.transcript);
    response.writeHead(200, { 'content-type': scenario.streamContentType ?? 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    response.flushHeaders();
    await driveStream(response, writer, stream, scenario, record);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    setScenario(scenario) {
      chooseScenario = scenario;
    },
    waitForRequest(index = requests.length) {
      const arrived = requests[index];
      if (arrived) return Promise.resolve(arrived);
      return new Promise((resolve) => {
        const list = waiters.get(index) ?? [];
        list.push(resolve);
        waiters.set(index, list);
      });
    },
    openConnections: () => sockets.size,
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): any {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A non-streaming answer; a fault replaces it (`error-event` becomes the provider's 500). */
async function sendCompleteResponse(
  response: ServerResponse,
  writer: WireWriter,
  endpoint: Endpoint,
  context: RequestContext,
  headers: Record<string, string>,
  record: RecordedRequest,
): Promise<void> {
  switch (context.scenario.fault?.kind) {
    case undefined:
      sendJson(response, 200, headers, JSON.stringify(endpoint.complete(context)), record);
      return;
    case 'cut':
      response.socket?.destroy();
      return;
    case 'hang':
      await writer.untilClosed();
      return;
    case 'garbage':
      sendJson(response, 200, headers, context.scenario.fault.data ?? '{"id": this is not json', record);
      return;
    case 'endless-line':
      await writeEndlessLine(writer, '{"id": "', context.scenario.fault.bytes);
      return;
    case 'error-event':
      sendJson(response, 500, headers, JSON.stringify(endpoint.errorBody(500, headers[endpoint.requestIdHeader] ?? '')), record);
      return;
  }
}

function sendJson(response: ServerResponse, status: number, headers: Record<string, string>, text: string, record?: RecordedRequest): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text, () => {
    if (record) record.completed = true;
  });
}
