/**
 * A real HTTP upstream for tests, speaking OpenAI Chat Completions, OpenAI Responses, Anthropic
 * Messages and OpenAI embeddings on 127.0.0.1, with knobs for timing and faults, and with its sockets
 * and h2 streams observable so that a test can prove a cancel reached the upstream. Over TLS (the
 * test certificate) it speaks h2 and HTTP/1.1, as hosted providers do; in cleartext HTTP/1.1.
 */

import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { testCertificate } from '../test-certificate.ts';
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
import { transportOf, type FakeRequest, type FakeResponse, type UpstreamTransport } from './upstream-transport.ts';
import { createWireWriter, type WireWriter } from './wire-writer.ts';

export type { Flavour, FaultKind, ByteSplit, Scenario, ToolCallScript, UsageScript } from './scenario.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: any;
  /** `1.1` or `2.0`. */
  httpVersion: string;
  /** performance.now() when the request's headers arrived. */
  receivedAt: number;
  /** performance.now() when the socket (HTTP/1.1) or the h2 stream carrying this request closed; resolves then. */
  socketClosed: Promise<number>;
  /** Streamed tokens (text deltas, argument fragments, or transcript chunks) written so far; 0 for a JSON answer. */
  tokensSent: number;
  /** performance.now() when the last token was written. */
  lastTokenAt: number | undefined;
  /** True once the response ended normally (fully written). */
  completed: boolean;
}

export interface FakeProvider {
  /** Base URL including /v1, e.g. http://127.0.0.1:43123/v1, or https://… over TLS. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Set the scenario for the following requests (or a function choosing one per request). */
  setScenario(scenario: Scenario | ((request: RecordedRequest) => Scenario)): void;
  /** Resolves with the RecordedRequest when the next (or the n-th, from 0) request has arrived. */
  waitForRequest(index?: number): Promise<RecordedRequest>;
  /** Number of TCP connections open right now (an h2 connection carries many requests). */
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

export interface FakeProviderOptions {
  defaultScenario?: Scenario;
  /** Serve TLS with the test certificate: h2 or HTTP/1.1, as the client's ALPN asks. @default false */
  tls?: boolean;
}

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  let chooseScenario: Scenario | ((request: RecordedRequest) => Scenario) = options.defaultScenario ?? {};
  const requests: RecordedRequest[] = [];
  const waiters = new Map<number, Array<(request: RecordedRequest) => void>>();
  const socketClosedAt = new WeakMap<object, Promise<number>>();
  const sockets = new Set<Socket>();

  const onRequest = (request: FakeRequest, response: FakeResponse): void => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake must fail the test loudly, not hang it.
      (response as FakeResponse & { destroy(error: Error): void }).destroy(error as Error);
      throw error;
    });
  };
  const server = options.tls ? createSecureServer({ cert: testCertificate().cert, key: testCertificate().key, allowHTTP1: true }, onRequest) : createServer(onRequest);
  const watchSocket = (socket: Socket): void => {
    socketClosedAt.set(socket, new Promise((resolve) => socket.once('close', () => resolve(performance.now()))));
  };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    watchSocket(socket);
  });
  // Over TLS an HTTP/1.1 request's socket is the TLS socket on top of the TCP one.
  server.on('secureConnection', watchSocket);

  async function handle(request: FakeRequest, response: FakeResponse): Promise<void> {
    const receivedAt = performance.now();
    const body = parseJson(await readBody(request));
    const transport = transportOf(request, response, (socket) => socketClosedAt.get(socket));
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: (request.url ?? '/').split('?')[0] ?? '/',
      headers: request.headers,
      httpVersion: request.httpVersion,
      body,
      receivedAt,
      socketClosed: transport.closed,
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
    const writer = createWireWriter(response, transport, scenario.byteSplit);
    if (scenario.headersDelayMs && !(await writer.wait(scenario.headersDelayMs))) return;

    if (endpoint === undefined) {
      const message = `Invalid URL (${record.method} ${record.path})`;
      const notFound = { error: { message, type: 'invalid_request_error', param: null, code: null } };
      sendJson(response, 404, { ...scenario.responseHeaders }, JSON.stringify(notFound));
      return;
    }
    const headers = { [endpoint.requestIdHeader]: requestId, ...scenario.responseHeaders };
    if (scenario.raw !== undefined) {
      await sendRawResponse(response, transport, writer, scenario.raw, headers);
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
      await sendCompleteResponse(response, transport, writer, endpoint, context, headers, record);
      return;
    }
    const stream = endpoint.stream(context);
    if (scenario.transcript !== undefined) stream.frames = loadTranscript(scenario.transcript);
    response.writeHead(200, { 'content-type': scenario.streamContentType ?? 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    (response as FakeResponse & { flushHeaders(): void }).flushHeaders();
    await driveStream(response, transport, writer, stream, scenario, record);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
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

async function readBody(request: FakeRequest): Promise<string> {
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
  response: FakeResponse,
  transport: UpstreamTransport,
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
      await transport.cut();
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

function sendJson(response: FakeResponse, status: number, headers: Record<string, string>, text: string, record?: RecordedRequest): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text, () => {
    if (record) record.completed = true;
  });
}
