/**
 * Admission control under real load: past SLUICE_MAX_STREAMS, or while the event loop runs later than
 * SLUICE_MAX_EVENT_LOOP_LAG_MS, a new stream gets a fast 503 `overloaded` with `retry-after` in its
 * dialect's shape, and the probes stay fast. Sluice and the load (fake upstream and clients) run in
 * processes of their own, so this process times the probes from an idle event loop.
 */

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { dialectReaders } from '../support/dialect-readers.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';

interface Load {
  upstream: string;
  send(order: object): void;
  next(): Promise<Record<string, any>>;
  stop(): void;
}

async function startLoad(): Promise<Load> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--conditions=sluice-source', new URL('./support/load-process.ts', import.meta.url).pathname]);
  child.stderr.pipe(process.stderr);
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = String((await replies.next()).value);
    try {
      return JSON.parse(line) as Record<string, any>;
    } catch {
      throw new Error(`the load process said: ${line.slice(0, 500)}`);
    }
  };
  const { upstream } = await next();
  return { upstream, send: (order) => child.stdin.write(`${JSON.stringify(order)}\n`), next, stop: () => child.stdin.end() };
}

/** Milliseconds each of `count` sequential probes of `path` took. */
async function probe(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedAt = performance.now();
    const response = await fetch(url);
    await response.text();
    assert.ok(response.status === 200, `${url}: ${response.status}`);
    times.push(performance.now() - startedAt);
  }
  return times;
}

const percentile = (values: number[], fraction: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * fraction))]!;

describe('SLUICE_MAX_STREAMS', () => {
  let load: Load;
  let sluice: SluiceProcess;
  before(async () => {
    load = await startLoad();
    sluice = await spawnSluice({ OPENAI_BASE_URL: load.upstream, OPENAI_API_KEY: 'sk-test-shedding', SLUICE_MAX_STREAMS: '200' });
  });
  after(async () => {
    load.stop();
    await sluice.stop();
  });

  test('at 200 streams of 20 tokens a second a new one is a 503 with retry-after in every dialect, the probes stay fast, and a freed place is taken again', async () => {
    // Warm each route up first: the first request through a route compiles its code.
    for (const reader of dialectReaders) {
      const response = await fetch(`${sluice.url}${reader.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reader.body('warm')) });
      assert.equal(response.status, 200, reader.name);
      await response.text();
    }
    load.send({ sluice: sluice.url, streams: 200, openPerSecond: 400, scenario: { text: 'word '.repeat(120), tokenIntervalMs: 50 } });
    assert.deepEqual(await load.next(), { opened: 200 });
    for (const reader of dialectReaders) {
      const startedAt = performance.now();
      const response = await fetch(`${sluice.url}${reader.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reader.body('one too many')) });
      const elapsedMs = performance.now() - startedAt;
      const text = await response.text();
      assert.equal(response.status, 503, `${reader.name}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text) as Record<string, any>;
      assert.equal(response.headers.get('retry-after'), '1', reader.name);
      if (reader.path === '/v1/messages') assert.equal(body.error.type, 'overloaded_error');
      else assert.equal(body.error.code, 'overloaded');
      assert.match(body.error.message, /limit of 200 streams \(SLUICE_MAX_STREAMS\)/, `${reader.name}: ${JSON.stringify(body)}`);
      assert.ok(elapsedMs < 250, `${reader.name}: refused in ${Math.round(elapsedMs)} ms`);
    }
    const health = await probe(`${sluice.url}/healthz`, 40);
    const readiness = await probe(`${sluice.url}/readyz`, 40);
    console.log(`200 streams: /healthz p50 ${Math.round(percentile(health, 0.5))} ms, p95 ${Math.round(percentile(health, 0.95))} ms; /readyz p95 ${Math.round(percentile(readiness, 0.95))} ms`);
    // On a quiet machine both answer within a few milliseconds; the bound leaves room for a shared one.
    assert.ok(percentile(health, 0.95) < 250 && percentile(readiness, 0.95) < 250, `probes: ${health.map(Math.round)} ${readiness.map(Math.round)}`);
    const ended = await load.next();
    assert.deepEqual(ended.statuses, { 200: 200 });
    const after = await fetch(`${sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'again' }) });
    assert.equal(after.status, 200);
    await after.text();
    const metrics = await (await fetch(`${sluice.url}/metrics`)).text();
    assert.match(metrics, /sluice_shed_total\{reason="max_streams"\} 6/);
  });
});

describe('SLUICE_MAX_EVENT_LOOP_LAG_MS', () => {
  let load: Load;
  let sluice: SluiceProcess;
  before(async () => {
    load = await startLoad();
    sluice = await spawnSluice({ OPENAI_BASE_URL: load.upstream, OPENAI_API_KEY: 'sk-test-shedding', SLUICE_MAX_EVENT_LOOP_LAG_MS: '100' });
  });
  after(async () => {
    load.stop();
    await sluice.stop();
  });

  const startStream = async (): Promise<Response> => {
    const response = await fetch(`${sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hi' }) });
    await response.text();
    return response;
  };

  test('a process that gets the CPU a tenth of the time sheds new streams with 503, and takes them again once it runs freely', async () => {
    assert.equal((await startStream()).status, 200);
    // What a noisy neighbour or a throttled container does to the event loop: stopped 300 ms, run 30 ms.
    let throttled = true;
    const throttling = (async () => {
      while (throttled) {
        process.kill(sluice.child.pid!, 'SIGSTOP');
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(sluice.child.pid!, 'SIGCONT');
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const refused = await startStream();
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
    } finally {
      throttled = false;
      await throttling;
    }
    // The lag fades over a few probes.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await startStream()).status, 200);
    const metrics = await (await fetch(`${sluice.url}/metrics`)).text();
    assert.match(metrics, /sluice_shed_total\{reason="event_loop_lag"\} [1-9]/);
  });
});
