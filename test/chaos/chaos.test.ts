/**
 * Chaos with real processes: two Sluice instances behind nginx, sharing one Redis, reached through a
 * proxy that cuts and stalls connections, while an instance is killed outright, Redis restarts and
 * the other instance gets SIGTERM mid-stream. Every client (`@sluice/client`, resuming by itself) must
 * end with the whole answer or a typed error; the lost, duplicated and hung counts are printed and
 * must be 0.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceClientError, streamChat } from '@sluice/client';
import { createRandom } from '../support/create-random.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { spawnSluice, type SluiceProcess } from '../support/sluice-process.ts';
import { startNginx, type TemporaryNginx } from '../support/start-nginx.ts';
import { findFreePort, startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { longText } from '../resume/resume-checks.ts';
import { startChaosProxy, type ChaosProxy } from './chaos-proxy.ts';

const clientCount = 40;
const deadlineMs = 40_000;

let redis: TemporaryRedis;
let fake: FakeProvider;
let nginx: TemporaryNginx;
let proxy: ChaosProxy;
const ports: number[] = [];
const instances: SluiceProcess[] = [];

function startInstance(port: number): Promise<SluiceProcess> {
  return spawnSluice({
    PORT: String(port),
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test-chaos',
    REDIS_URL: redis.url,
    SLUICE_RESUME_GRACE_MS: '4000',
    SLUICE_SSE_RETRY_MS: '200',
    SLUICE_REDIS_OWNER_TTL_MS: '600',
    SLUICE_DRAIN_MS: '4000',
  });
}

before(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeProvider()]);
  ports.push(await findFreePort(), await findFreePort());
  instances.push(...(await Promise.all(ports.map(startInstance))));
  nginx = await startNginx(ports.map((port) => `127.0.0.1:${port}`));
  // Seeded, so that a failing run can be replayed (the seed is printed with the counts).
  const seed = Number(process.env.SLUICE_CHAOS_SEED ?? Date.now() % 1_000_000);
  proxy = await startChaosProxy(Number(new URL(nginx.url).port), createRandom(seed), { cutShare: 0.1, stallShare: 0.15, stallMs: 1500 });
  process.env.SLUICE_CHAOS_SEED_USED = String(seed);
});

after(async () => {
  await proxy?.close();
  await nginx?.stop();
  await Promise.all(instances.map((instance) => instance.stop(2000)));
  await fake?.close();
  await redis?.stop();
});

type Ending = { kind: 'whole' } | { kind: 'typed-error'; code: string } | { kind: 'lost'; why: string } | { kind: 'duplicated'; why: string } | { kind: 'hung' };

test(`${clientCount} clients through cuts, stalls, a kill -9, a Redis restart and a SIGTERM: none lost, duplicated or hung`, async () => {
  const text = longText(250);
  fake.setScenario({ text, tokenIntervalMs: 12 });
  const controller = new AbortController();
  const endings: Promise<Ending>[] = [];
  const clients = (async () => {
    for (let index = 0; index < clientCount; index += 1) {
      endings.push(runClient(index, text, controller.signal));
      await sleep(250);
    }
  })();

  // The faults, one after another while streams are in flight.
  await sleep(2000);
  instances[0]!.child.kill('SIGKILL');
  await instances[0]!.exited;
  instances[0] = await startInstance(ports[0]!);
  await sleep(1500);
  await redis.kill();
  await sleep(500);
  await redis.start();
  await sleep(1500);
  instances[1]!.child.kill('SIGTERM');
  assert.equal(await instances[1]!.exited, 0, 'the SIGTERM\'d instance drained and exited cleanly');
  instances[1] = await startInstance(ports[1]!);
  await clients;

  const deadline = setTimeout(() => controller.abort(), deadlineMs);
  const results = await Promise.all(endings);
  clearTimeout(deadline);
  const count = (kind: Ending['kind']) => results.filter((result) => result.kind === kind).length;
  const typedErrors = results.flatMap((result) => (result.kind === 'typed-error' ? [result.code] : []));
  const summary = {
    seed: Number(process.env.SLUICE_CHAOS_SEED_USED),
    clients: clientCount,
    whole: count('whole'),
    typed_errors: typedErrors.length,
    error_codes: [...new Set(typedErrors)],
    lost: count('lost'),
    duplicated: count('duplicated'),
    hung: count('hung'),
    proxy_cuts: proxy.cuts,
    proxy_stalls: proxy.stalls,
  };
  console.log(`chaos: ${JSON.stringify(summary)}`);
  const problems = results.filter((result) => result.kind === 'lost' || result.kind === 'duplicated' || result.kind === 'hung');
  assert.deepEqual({ lost: summary.lost, duplicated: summary.duplicated, hung: summary.hung }, { lost: 0, duplicated: 0, hung: 0 }, JSON.stringify(problems));
  assert.ok(summary.whole > clientCount / 2, `most clients got the whole answer: ${JSON.stringify(summary)}`);
  assert.ok(proxy.cuts > 0 && proxy.stalls > 0, 'the proxy cut and stalled connections');
});

/** One client's stream to its end, judged: the whole answer, a typed error, or a failure of Sluice's. */
async function runClient(index: number, text: string, deadline: AbortSignal): Promise<Ending> {
  let received = '';
  try {
    const chat = streamChat({
      baseUrl: proxy.url,
      prompt: `client ${index}`,
      signal: deadline,
      idleTimeoutMs: 5000,
      reconnect: { initialDelayMs: 100, maxAttempts: 12 },
    });
    for await (const event of chat) if (event.type === 'token') received += event.delta;
  } catch (error) {
    if (deadline.aborted) return { kind: 'hung' };
    if (!(error instanceof SluiceClientError)) return { kind: 'lost', why: `untyped ${String(error)}` };
    return text.startsWith(received) ? { kind: 'typed-error', code: error.code } : { kind: 'duplicated', why: `${error.code} after ${received.length} characters that are not the answer's start` };
  }
  if (received === text) return { kind: 'whole' };
  return text.startsWith(received) ? { kind: 'lost', why: `ended as a success after ${received.length} of ${text.length} characters` } : { kind: 'duplicated', why: `${received.length} characters that are not the answer` };
}

