/**
 * Load generator: opens streams against one target and measures, per stream, time to first token, every
 * inter-token gap, each token's one-way relay latency (arrival minus the upstream's write stamp),
 * end-to-end time and bytes. It never parses JSON: stamps are found in the raw bytes (token-stamp.ts).
 *
 * Forked by bench/run.ts it takes `{type:"job"}` messages and answers `{type:"result"}`, with
 * `{type:"mark"}` messages at the moments the runner reads the target's CPU and memory (a measurement
 * window opening or closing, a hold job holding). Alone it runs one streams job from flags:
 * `node bench/load.ts --url http://127.0.0.1:8080/v1/chat/completions --streams 100 --tps 50 [--h2 100]`
 * (`--h2 N`: over cleartext h2, N streams a connection).
 */
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { monotonicNowUs } from './clock.ts';
import { createTransport, type Http2Options, type LoadTransport, type SentRequest } from './load-transport.ts';
import { Samples, quantilesOf } from './stats.ts';
import { formatStreamModel, formatStreamPrompt } from './stream-spec.ts';
import { StampScanner } from './token-stamp.ts';

/** `openai`: a chat completions body with `stream`; `sluice`: Sluice's events endpoint, which streams always. */
export type RequestDialect = 'openai' | 'sluice';

interface TargetRequest {
  url: string;
  headers: Record<string, string>;
  dialect: RequestDialect;
  model: string;
  streamIdPrefix: string;
  /** Send over h2, this many streams a connection; HTTP/1.1 without. */
  http2?: Http2Options;
}

/** `concurrency` streams at a time until `count` have run; the first wave starts evenly over `rampMs`. */
export interface StreamsJob extends TargetRequest {
  kind: 'streams';
  expectedEvents: number;
  count: number;
  concurrency: number;
  rampMs: number;
  streamTimeoutMs: number;
  /** Close the connection once this many events arrived (cancel scenario). */
  cancelAfterEvents?: number;
  /** Stop reading once this many events arrived, for `stallMs`, then read on for `drainMs` (slow clients). */
  stallAfterEvents?: number;
  stallMs?: number;
  drainMs?: number;
  /**
   * Record gaps and latencies only for events arriving in this window (milliseconds from the job's
   * start), count them, and send marks `window-start` and `window-end`: steady state, without ramp-up.
   */
  measureWindow?: { startMs: number; durationMs: number };
}

/**
 * Opens `count` streams at `openPerSecond`; once each shows a first token or failed (or `openTimeoutMs`
 * after the last was opened) marks `held`, holds `holdMs`, then closes all.
 */
export interface HoldJob extends TargetRequest {
  kind: 'hold';
  count: number;
  openPerSecond: number;
  openTimeoutMs: number;
  holdMs: number;
}

/** Non-streaming requests back to back from `concurrency` workers for `durationMs` after `warmupMs`. */
export interface RequestsJob extends TargetRequest {
  kind: 'requests';
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export type LoadJob = StreamsJob | HoldJob | RequestsJob;

export type StreamEnding = 'complete' | 'truncated' | 'cancelled' | 'http-error' | 'error' | 'timeout' | 'cut' | 'open-after-stall';

export interface StreamOutcome {
  streamId: string;
  ending: StreamEnding;
  events: number;
  bytes: number;
  /** Monotonic time the client closed its connection (cancel) or stopped reading (stall). */
  actionUs: number | undefined;
  detail: string | undefined;
}

export interface StreamsResult {
  kind: 'streams';
  wallMs: number;
  /** Events that arrived inside the measure window (all events when the job has none). */
  windowEvents: number;
  outcomes: StreamOutcome[];
  ttftMs: Float64Array;
  gapMs: Float64Array;
  latencyMs: Float64Array;
  endToEndMs: Float64Array;
}

export interface HoldResult {
  kind: 'hold';
  opened: number;
  live: number;
  endings: Record<string, number>;
  openMs: number;
}

export interface RequestsResult {
  kind: 'requests';
  /** Requests answered 200 within the measured window. */
  requests: number;
  /** Requests answered 200 from the start, warm-up included: the window the relay's CPU is read over. */
  requestsIncludingWarmup: number;
  failures: Record<string, number>;
  measuredMs: number;
  latencyMs: Float64Array;
}

export type LoadResult = StreamsResult | HoldResult | RequestsResult;

export type LoadMark = 'window-start' | 'window-end' | 'held';

export type LoadMessage = { type: 'result'; result: LoadResult } | { type: 'mark'; label: LoadMark } | { type: 'failed'; message: string };

function requestBody(target: TargetRequest, streamId: string, stream: boolean): string {
  const messages = [{ role: 'user', content: formatStreamPrompt(streamId) }];
  return JSON.stringify(target.dialect === 'sluice' ? { model: target.model, messages } : { model: target.model, stream, messages });
}

function postJson(transport: LoadTransport, target: TargetRequest, body: string): SentRequest {
  return transport.send(target.url, target.headers, body);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

interface StreamSamples {
  ttftMs: Samples;
  gapMs: Samples;
  latencyMs: Samples;
  endToEndMs: Samples;
  windowStartUs: number;
  windowEndUs: number;
  windowEvents: number;
}

/** Runs one stream to its end and records its samples. Never rejects. */
function runStream(job: StreamsJob, transport: LoadTransport, streamId: string, samples: StreamSamples): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const outcome: StreamOutcome = { streamId, ending: 'error', events: 0, bytes: 0, actionUs: undefined, detail: undefined };
    const startUs = monotonicNowUs();
    let lastArrivalUs = 0;
    let settled = false;
    let stalled = false;
    const timers: NodeJS.Timeout[] = [];
    const request = postJson(transport, job, requestBody(job, streamId, true));
    const settle = (ending: StreamEnding, detail?: string): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      outcome.ending = ending;
      outcome.detail = detail;
      if (ending === 'complete') samples.endToEndMs.add((monotonicNowUs() - startUs) / 1000);
      resolve(outcome);
    };
    timers.push(setTimeout(() => {
      settle('timeout');
      request.destroy();
    }, job.streamTimeoutMs));
    request.onError((error) => settle('error', error.message));
    request.onResponse((status: number, response: Readable) => {
      if (status !== 200) {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => settle('http-error', `${status} ${text.slice(0, 200)}`));
        response.on('error', () => settle('http-error', String(status)));
        return;
      }
      const scanner = new StampScanner();
      let inWindow = false;
      const recordStamp = (writeTimeUs: number): void => {
        if (inWindow) samples.latencyMs.add((lastArrivalUs - writeTimeUs) / 1000);
      };
      response.on('data', (chunk: Buffer) => {
        const arrivalUs = monotonicNowUs();
        outcome.bytes += chunk.length;
        const previousArrivalUs = lastArrivalUs;
        lastArrivalUs = arrivalUs;
        inWindow = arrivalUs >= samples.windowStartUs && arrivalUs <= samples.windowEndUs;
        const found = scanner.scan(chunk, recordStamp);
        if (found === 0) return;
        if (outcome.events === 0) samples.ttftMs.add((arrivalUs - startUs) / 1000);
        else if (inWindow) samples.gapMs.add((arrivalUs - previousArrivalUs) / 1000);
        if (inWindow) {
          samples.windowEvents += found;
          for (let extra = 1; extra < found; extra++) samples.gapMs.add(0);
        }
        outcome.events += found;
        if (job.cancelAfterEvents !== undefined && outcome.events >= job.cancelAfterEvents) {
          outcome.actionUs = monotonicNowUs();
          settle('cancelled');
          request.destroy();
        } else if (job.stallAfterEvents !== undefined && !stalled && outcome.events >= job.stallAfterEvents) {
          stalled = true;
          outcome.actionUs = monotonicNowUs();
          response.pause();
          timers.push(setTimeout(() => {
            response.resume();
            timers.push(setTimeout(() => {
              settle('open-after-stall');
              request.destroy();
            }, job.drainMs ?? 1000));
          }, job.stallMs ?? 1000));
        }
      });
      response.on('end', () => {
        if (stalled && outcome.events < job.expectedEvents) settle('cut');
        else settle(outcome.events === job.expectedEvents ? 'complete' : 'truncated', `${outcome.events}/${job.expectedEvents} events`);
      });
      response.on('close', () => settle(stalled ? 'cut' : 'truncated', 'connection closed before the end'));
    });
  });
}

async function runStreamsJob(job: StreamsJob, report: (message: LoadMessage) => void): Promise<StreamsResult> {
  const transport = createTransport(job.http2);
  const startUs = monotonicNowUs();
  const window = job.measureWindow;
  const samples: StreamSamples = {
    ttftMs: new Samples(),
    gapMs: new Samples(8192),
    latencyMs: new Samples(8192),
    endToEndMs: new Samples(),
    windowStartUs: window === undefined ? 0 : startUs + window.startMs * 1000,
    windowEndUs: window === undefined ? Number.POSITIVE_INFINITY : startUs + (window.startMs + window.durationMs) * 1000,
    windowEvents: 0,
  };
  const markTimers = window === undefined ? [] : [
    setTimeout(() => report({ type: 'mark', label: 'window-start' }), window.startMs),
    setTimeout(() => report({ type: 'mark', label: 'window-end' }), window.startMs + window.durationMs),
  ];
  const outcomes: StreamOutcome[] = [];
  const startMs = performance.now();
  let next = 0;
  const worker = async (workerIndex: number): Promise<void> => {
    await sleep((job.rampMs * workerIndex) / job.concurrency);
    while (next < job.count) {
      const streamId = `${job.streamIdPrefix}-${next++}`;
      outcomes.push(await runStream(job, transport, streamId, samples));
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.count) }, (_, index) => worker(index)));
  for (const timer of markTimers) clearTimeout(timer);
  transport.close();
  return {
    kind: 'streams',
    wallMs: performance.now() - startMs,
    windowEvents: samples.windowEvents,
    outcomes,
    ttftMs: samples.ttftMs.toArray(),
    gapMs: samples.gapMs.toArray(),
    latencyMs: samples.latencyMs.toArray(),
    endToEndMs: samples.endToEndMs.toArray(),
  };
}

async function runHoldJob(job: HoldJob, report: (message: LoadMessage) => void): Promise<HoldResult> {
  const transport = createTransport(job.http2);
  const requests: SentRequest[] = [];
  const endings: Record<string, number> = {};
  let live = 0;
  let failed = 0;
  let allSettled: () => void = () => {};
  const allSettledPromise = new Promise<void>((resolve) => (allSettled = resolve));
  const checkSettled = (): void => {
    if (live + failed === job.count) allSettled();
  };
  const countEnding = (ending: string, beforeFirstToken: boolean): void => {
    endings[ending] = (endings[ending] ?? 0) + 1;
    if (beforeFirstToken) {
      failed += 1;
      checkSettled();
    }
  };
  const startMs = performance.now();
  for (let index = 0; index < job.count; index++) {
    const dueMs = startMs + (index * 1000) / job.openPerSecond;
    const waitMs = dueMs - performance.now();
    if (waitMs > 1) await sleep(waitMs);
    const request = postJson(transport, job, requestBody(job, `${job.streamIdPrefix}-${index}`, true));
    requests.push(request);
    let counted = false;
    request.onError((error) => countEnding(`error: ${error.message}`, !counted));
    request.onResponse((status, response) => {
      if (status !== 200) {
        countEnding(`http ${status}`, true);
        response.resume();
        return;
      }
      const scanner = new StampScanner();
      response.on('data', (chunk: Buffer) => {
        if (counted || scanner.scan(chunk, () => {}) === 0) return;
        counted = true;
        live += 1;
        checkSettled();
      });
      response.on('end', () => countEnding('ended while held', !counted));
    });
  }
  await Promise.race([allSettledPromise, sleep(job.openTimeoutMs)]);
  const openMs = performance.now() - startMs;
  report({ type: 'mark', label: 'held' });
  await sleep(job.holdMs);
  for (const request of requests) request.destroy();
  transport.close();
  return { kind: 'hold', opened: requests.length, live, endings, openMs };
}

async function runRequestsJob(job: RequestsJob): Promise<RequestsResult> {
  const transport = createTransport(job.http2);
  const latencyMs = new Samples(16_384);
  const failures: Record<string, number> = {};
  const measureFromMs = performance.now() + job.warmupMs;
  const endMs = measureFromMs + job.durationMs;
  let requests = 0;
  let requestsIncludingWarmup = 0;
  let sequence = 0;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const startUs = monotonicNowUs();
      const request = postJson(transport, job, requestBody(job, `${job.streamIdPrefix}-${sequence++}`, false));
      const fail = (reason: string): void => {
        failures[reason] = (failures[reason] ?? 0) + 1;
        resolve();
      };
      request.onError((error) => fail(error.message));
      request.onResponse((status, response) => {
        response.on('data', () => {});
        response.on('error', () => fail('response error'));
        response.on('end', () => {
          if (status !== 200) return fail(`http ${status}`);
          requestsIncludingWarmup += 1;
          if (performance.now() >= measureFromMs) {
            requests += 1;
            latencyMs.add((monotonicNowUs() - startUs) / 1000);
          }
          resolve();
        });
      });
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < endMs) await once();
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const measuredMs = performance.now() - measureFromMs;
  transport.close();
  return { kind: 'requests', requests, requestsIncludingWarmup, failures, measuredMs, latencyMs: latencyMs.toArray() };
}

export function runLoadJob(job: LoadJob, report: (message: LoadMessage) => void): Promise<LoadResult> {
  switch (job.kind) {
    case 'streams':
      return runStreamsJob(job, report);
    case 'hold':
      return runHoldJob(job, report);
    case 'requests':
      return runRequestsJob(job);
    default: {
      const unknown: never = job;
      throw new Error(`unknown job ${JSON.stringify(unknown)}`);
    }
  }
}

async function runFromCommandLine(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080/v1/chat/completions' },
      streams: { type: 'string', default: '100' },
      concurrency: { type: 'string' },
      tokens: { type: 'string', default: '100' },
      tps: { type: 'string', default: '50' },
      per: { type: 'string', default: '1' },
      header: { type: 'string', multiple: true, default: [] },
      h2: { type: 'string' },
    },
  });
  const spec = { tokens: Number(values.tokens), tokensPerSecond: Number(values.tps), tokensPerEvent: Number(values.per), firstTokenDelayMs: 0, record: 'none' as const };
  const headers = Object.fromEntries(values.header.map((header) => [header.slice(0, header.indexOf(':')).trim(), header.slice(header.indexOf(':') + 1).trim()]));
  const result = await runStreamsJob({
    kind: 'streams',
    url: values.url,
    headers,
    dialect: values.url.endsWith('/chat/stream') ? 'sluice' : 'openai',
    ...(values.h2 === undefined ? {} : { http2: { streamsPerConnection: Number(values.h2) } }),
    model: formatStreamModel(spec),
    streamIdPrefix: 'cli',
    expectedEvents: Math.ceil(spec.tokens / spec.tokensPerEvent),
    count: Number(values.streams),
    concurrency: Number(values.concurrency ?? values.streams),
    rampMs: 1000,
    streamTimeoutMs: 120_000,
  }, () => {});
  const endings: Record<string, number> = {};
  for (const outcome of result.outcomes) endings[outcome.ending] = (endings[outcome.ending] ?? 0) + 1;
  const round = (quantiles: ReturnType<typeof quantilesOf>) => ({ p50: Number(quantiles.p50.toFixed(3)), p99: Number(quantiles.p99.toFixed(3)), count: quantiles.count });
  console.log(JSON.stringify({
    wallMs: Math.round(result.wallMs),
    endings,
    ttftMs: round(quantilesOf(result.ttftMs)),
    gapMs: round(quantilesOf(result.gapMs)),
    latencyMs: round(quantilesOf(result.latencyMs)),
    endToEndMs: round(quantilesOf(result.endToEndMs)),
  }, null, 2));
}

if (process.send !== undefined) {
  process.on('message', (message: { type: 'job'; job: LoadJob }) => {
    const report = (reply: LoadMessage): void => void process.send?.(reply);
    runLoadJob(message.job, report).then(
      (result) => report({ type: 'result', result }),
      (error: unknown) => report({ type: 'failed', message: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
} else if (import.meta.main) {
  await runFromCommandLine();
}
