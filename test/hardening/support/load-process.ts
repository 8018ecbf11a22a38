/**
 * A separate process holding a fake upstream and many reading clients, so that the test process measures
 * Sluice's probes from an idle event loop of its own.
 *
 * Protocol on stdio, one JSON line each: it prints `{"upstream": url}`; for each order
 * `{"sluice": url, "streams": n, "scenario": {...}, "openPerSecond": n}` it opens the streams at that
 * pace, prints `{"opened": n}` once they are all open, and `{"statuses": {...}, "done": n}` once they have
 * all ended. It exits when stdin closes.
 */

import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeProvider } from '../../support/fake-provider/index.ts';
import { openStream, type OpenedStream } from '../../support/sse-client.ts';

const fake = await startFakeProvider();
process.stdout.write(`${JSON.stringify({ upstream: fake.url })}\n`);
const streams: OpenedStream[] = [];
for await (const line of createInterface({ input: process.stdin })) {
  const order = JSON.parse(line) as { sluice: string; streams: number; scenario: object; openPerSecond: number };
  fake.setScenario(order.scenario);
  const statuses: Record<number, number> = {};
  const opening: Promise<void>[] = [];
  const ended: Promise<void>[] = [];
  for (let index = 0; index < order.streams; index += 1) {
    opening.push(
      openStream(`${order.sluice}/v1/chat/stream`, { body: { prompt: `load ${index}` } }).then((stream) => {
        streams.push(stream);
        statuses[stream.status] = (statuses[stream.status] ?? 0) + 1;
        ended.push(stream.ended);
      }, () => {
        statuses[0] = (statuses[0] ?? 0) + 1;
      }),
    );
    await sleep(1000 / order.openPerSecond);
  }
  await Promise.all(opening);
  process.stdout.write(`${JSON.stringify({ opened: order.streams })}\n`);
  await Promise.all(ended);
  process.stdout.write(`${JSON.stringify({ statuses, done: ended.length })}\n`);
}
for (const stream of streams) stream.destroy();
await fake.close();
