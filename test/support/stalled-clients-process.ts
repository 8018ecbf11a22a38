/**
 * A separate process holding a fake upstream and N clients that never read, so that a test can measure
 * Sluice's own memory in its process without counting theirs.
 *
 * Protocol on stdio, one JSON line each: it prints `{"upstream": url}`, reads `{"sluice": url, "clients": n,
 * "scenario": {...}, "body"?: {...}}` (`body` adds fields to each request, `resumable` say), opens the clients, waits until every upstream stopped being read, prints
 * `{"stalled": n, "tokensSent": total}`, and exits when stdin closes.
 */

import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeProvider } from './fake-provider/index.ts';
import { openStream, type OpenedStream } from './sse-client.ts';

const fake = await startFakeProvider();
process.stdout.write(`${JSON.stringify({ upstream: fake.url })}\n`);
const streams: OpenedStream[] = [];
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const order = JSON.parse(line) as { sluice: string; clients: number; scenario: object; body?: object };
  fake.setScenario(order.scenario);
  for (let index = 0; index < order.clients; index += 1) {
    streams.push(await openStream(`${order.sluice}/v1/chat/stream`, { body: { prompt: `stalled ${index}`, ...order.body }, paused: true }));
  }
  let previous = -1;
  let sent = 0;
  for (let polls = 0; polls < 240; polls += 1) {
    sent = fake.requests.reduce((sum, request) => sum + request.tokensSent, 0);
    if (sent === previous) break;
    previous = sent;
    await sleep(250);
  }
  process.stdout.write(`${JSON.stringify({ stalled: streams.length, tokensSent: sent, settled: sent === previous })}\n`);
}
for (const stream of streams) stream.destroy();
await fake.close();
