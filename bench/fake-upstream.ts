/**
 * A lean OpenAI-compatible provider for benchmarks: `POST …/chat/completions` streams stamped tokens at
 * the rate and length the request's model names (see stream-spec.ts), stops writing while its socket is
 * full (or, over h2, its stream's window), and remembers, per stream, when the client went away and what
 * it wrote after that. It listens twice: cleartext HTTP/1.1, and TLS (a certificate made at start, as the
 * tests make theirs) with h2 and HTTP/1.1 by ALPN, as hosted providers answer.
 *
 * Run it as its own process (`node bench/fake-upstream.ts [port]`) so it never shares the CPU accounting
 * of the process under test. Forked with an IPC channel it announces `{type:"ready",port,tlsPort,caFile}`
 * and answers `{type:"records",streamIds}` and `{type:"reset"}`; otherwise it prints its ports.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import { testCertificate } from '../test/support/test-certificate.ts';
import { monotonicNowUs } from './clock.ts';
import { parseStreamModel, parseStreamPrompt, type StreamSpec } from './stream-spec.ts';
import { formatStampedText } from './token-stamp.ts';

export interface UpstreamStreamRecord {
  streamId: string;
  startedUs: number;
  tokensWritten: number;
  bytesWritten: number;
  /** When the socket closed before the stream's last byte; undefined while open or after a full stream. */
  closedEarlyUs: number | undefined;
  completed: boolean;
  writeTimesUs: number[] | undefined;
}

export type UpstreamCommand = { type: 'records'; streamIds: string[] } | { type: 'reset' };
export type UpstreamReply =
  | { type: 'ready'; port: number; tlsPort: number; caFile: string }
  | { type: 'records'; records: (UpstreamStreamRecord | undefined)[] }
  | { type: 'reset' };

const records = new Map<string, UpstreamStreamRecord>();
let completionCounter = 0;

/** Streams due in each millisecond slot, so one timer paces every stream instead of one timer each. */
class PacingWheel {
  private readonly slots = new Map<number, PacedStream[]>();
  private lastSlot = 0;
  private timer: NodeJS.Timeout | undefined;

  add(stream: PacedStream, dueMs: number): void {
    if (this.timer === undefined) {
      this.lastSlot = Math.floor(performance.now());
      this.timer = setTimeout(this.tick, 1);
    }
    const slot = Math.max(Math.ceil(dueMs), this.lastSlot + 1);
    const due = this.slots.get(slot);
    if (due === undefined) this.slots.set(slot, [stream]);
    else due.push(stream);
  }

  private readonly tick = (): void => {
    const nowMs = performance.now();
    const nowSlot = Math.floor(nowMs);
    for (let slot = this.lastSlot + 1; slot <= nowSlot; slot++) {
      const due = this.slots.get(slot);
      if (due === undefined) continue;
      this.slots.delete(slot);
      for (const stream of due) stream.writeDue(nowMs);
    }
    this.lastSlot = nowSlot;
    this.timer = this.slots.size > 0 ? setTimeout(this.tick, 1) : undefined;
  };
}

const wheel = new PacingWheel();

class PacedStream {
  private readonly eventIntervalMs: number;
  private readonly chunkPrefix: string;
  private readonly chunkSuffix = '"},"finish_reason":null}]}\n\n';
  private tokensLeft: number;
  private nextDueMs = 0;
  private first = true;
  private closed = false;
  private readonly response: UpstreamResponse;
  private readonly spec: StreamSpec;
  private readonly record: UpstreamStreamRecord | undefined;
  private readonly includeUsage: boolean;
  private readonly completionId: string;
  private readonly model: string;

  constructor(response: UpstreamResponse, spec: StreamSpec, model: string, record: UpstreamStreamRecord | undefined, includeUsage: boolean) {
    this.response = response;
    this.spec = spec;
    this.model = model;
    this.record = record;
    this.includeUsage = includeUsage;
    this.tokensLeft = spec.tokens;
    this.eventIntervalMs = (1000 * spec.tokensPerEvent) / spec.tokensPerSecond;
    this.completionId = `chatcmpl-bench${++completionCounter}`;
    this.chunkPrefix = `data: {"id":"${this.completionId}","object":"chat.completion.chunk","created":1700000000,"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"content":"`;
    response.on('close', () => {
      this.closed = true;
      if (this.record !== undefined && !this.record.completed) this.record.closedEarlyUs = monotonicNowUs();
    });
  }

  start(): void {
    this.response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const nowMs = performance.now();
    this.nextDueMs = nowMs + this.spec.firstTokenDelayMs;
    if (this.spec.firstTokenDelayMs === 0) this.writeDue(nowMs);
    else {
      this.response.flushHeaders();
      wheel.add(this, this.nextDueMs);
    }
  }

  writeDue(nowMs: number): void {
    if (this.closed) return;
    const tokensInEvent = Math.min(this.spec.tokensPerEvent, this.tokensLeft);
    const writeTimeUs = monotonicNowUs();
    let chunk = this.chunkPrefix + formatStampedText(writeTimeUs, tokensInEvent) + this.chunkSuffix;
    if (this.first) {
      this.first = false;
      chunk = chunk.replace('"delta":{"content"', '"delta":{"role":"assistant","content"');
    }
    this.tokensLeft -= tokensInEvent;
    if (this.record !== undefined) {
      this.record.tokensWritten += tokensInEvent;
      this.record.bytesWritten += chunk.length;
      this.record.writeTimesUs?.push(writeTimeUs);
    }
    if (this.tokensLeft === 0) {
      this.finish(chunk);
      return;
    }
    const writable = this.response.write(chunk);
    this.nextDueMs = Math.max(this.nextDueMs + this.eventIntervalMs, nowMs);
    if (writable) wheel.add(this, this.nextDueMs);
    // Backpressure: the next token waits until the socket has room, like a provider behind TCP flow control.
    else this.response.once('drain', () => wheel.add(this, Math.max(this.nextDueMs, performance.now())));
  }

  private finish(lastChunk: string): void {
    let tail = `${lastChunk}data: {"id":"${this.completionId}","object":"chat.completion.chunk","created":1700000000,"model":${JSON.stringify(this.model)},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`;
    if (this.includeUsage) {
      tail += `data: {"id":"${this.completionId}","object":"chat.completion.chunk","created":1700000000,"model":${JSON.stringify(this.model)},"choices":[],"usage":${usageJson(this.spec.tokens)}}\n\n`;
    }
    if (this.record !== undefined) this.record.completed = true;
    this.response.end(`${tail}data: [DONE]\n\n`);
  }
}

function usageJson(completionTokens: number): string {
  return JSON.stringify({ prompt_tokens: 8, completion_tokens: completionTokens, total_tokens: 8 + completionTokens });
}

function sendCompletion(response: UpstreamResponse, spec: StreamSpec, model: string, record: UpstreamStreamRecord | undefined): void {
  const send = (): void => {
    if (response.destroyed) return;
    const body = JSON.stringify({
      id: `chatcmpl-bench${++completionCounter}`,
      object: 'chat.completion',
      created: 1700000000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: formatStampedText(monotonicNowUs(), spec.tokens) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 8, completion_tokens: spec.tokens, total_tokens: 8 + spec.tokens },
    });
    if (record !== undefined) {
      record.tokensWritten = spec.tokens;
      record.completed = true;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };
  if (spec.firstTokenDelayMs === 0) send();
  else setTimeout(send, spec.firstTokenDelayMs);
}

function sendError(response: UpstreamResponse, status: number, message: string): void {
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error' } });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function handleCompletion(response: UpstreamResponse, bodyText: string): void {
  let spec: StreamSpec;
  let body: { model?: unknown; stream?: unknown; messages?: { content?: unknown }[]; stream_options?: { include_usage?: unknown } };
  try {
    body = JSON.parse(bodyText) as typeof body;
    spec = parseStreamModel(String(body.model));
  } catch (error) {
    sendError(response, 400, (error as Error).message);
    return;
  }
  const model = String(body.model);
  const streamId = parseStreamPrompt(body.messages?.[0]?.content);
  let record: UpstreamStreamRecord | undefined;
  if (spec.record !== 'none' && streamId !== undefined) {
    record = {
      streamId,
      startedUs: monotonicNowUs(),
      tokensWritten: 0,
      bytesWritten: 0,
      closedEarlyUs: undefined,
      completed: false,
      writeTimesUs: spec.record === 'times' ? [] : undefined,
    };
    records.set(streamId, record);
  }
  if (body.stream === true) new PacedStream(response, spec, model, record, body.stream_options?.include_usage === true).start();
  else sendCompletion(response, spec, model, record);
}

/**
 * Either listener's response: node:http's, or node:http2's compatibility one, which has every method
 * this file uses (its types lack `flushHeaders`, which it has).
 */
type UpstreamResponse = ServerResponse;

function handleRequest(request: IncomingMessage, response: UpstreamResponse): void {
  const path = request.url ?? '';
  if (request.method === 'GET' && path.endsWith('/models')) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"object":"list","data":[]}');
    return;
  }
  if (request.method !== 'POST' || !path.endsWith('/chat/completions')) {
    sendError(response, 404, `no route ${request.method} ${path}`);
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => handleCompletion(response, Buffer.concat(chunks).toString('utf8')));
  request.on('error', () => response.destroy());
}

const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, handleRequest);
const certificate = testCertificate();
const tlsServer = createSecureServer({ cert: certificate.cert, key: certificate.key, allowHTTP1: true, maxSessionMemory: 64 }, (request, response) =>
  handleRequest(request as unknown as IncomingMessage, response as unknown as UpstreamResponse),
);

function handleCommand(command: UpstreamCommand): UpstreamReply {
  switch (command.type) {
    case 'records':
      return { type: 'records', records: command.streamIds.map((streamId) => records.get(streamId)) };
    case 'reset':
      records.clear();
      return { type: 'reset' };
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

function listen(listening: typeof server | typeof tlsServer, port: number): Promise<number> {
  return new Promise((resolve) => {
    listening.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
      const address = listening.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

const port = await listen(server, Number(process.argv[2] ?? 0));
const tlsPort = await listen(tlsServer, 0);
if (process.send === undefined) console.log(JSON.stringify({ port, tlsPort, caFile: certificate.certPath }));
else {
  process.send({ type: 'ready', port, tlsPort, caFile: certificate.certPath } satisfies UpstreamReply);
  process.on('message', (command: UpstreamCommand) => process.send?.(handleCommand(command)));
  process.on('disconnect', () => process.exit(0));
}
