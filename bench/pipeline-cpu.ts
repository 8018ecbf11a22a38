/**
 * `node bench/pipeline-cpu.ts [--events 100000] [--rounds 7]`: CPU per event of Sluice's own work on the
 * hot path, in process, without sockets: OpenAI chunks arrive one per turn of the event loop in a
 * Readable (as undici's body delivers one read), and go through the event-stream reader, the guard with
 * accounting, the delta merge and the OpenAI encoder, to a sink that keeps the bytes. What it costs is
 * the floor of what Sluice adds per event above the HTTP stack.
 */
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createStreamAccounting, createStreamTally } from '../packages/server/src/pipeline/account-stream.ts';
import { ContentClock } from '../packages/server/src/pipeline/content-clock.ts';
import { guardUpstream } from '../packages/server/src/pipeline/guard-upstream.ts';
import { mergeDeltas } from '../packages/server/src/pipeline/merge-deltas.ts';
import { readChatCompletionStream } from '../packages/server/src/providers/openai-chat/openai-chat-provider.ts';
import { openaiChatDialect } from '../packages/server/src/server/dialects/openai-chat/openai-chat-egress.ts';
import { quantilesOf } from './stats.ts';

const chunk = (index: number): Buffer =>
  Buffer.from(`data: {"id":"chatcmpl-bench1","object":"chat.completion.chunk","created":1700000000,"model":"bench","choices":[{"index":0,"delta":{"content":"~~${1000000 + index}~ tok "},"finish_reason":null}]}\n\n`);

/** Pushes `events` chunks into `body`, one per turn of the event loop, then `tail` and its end. */
function feedChunks(body: Readable, events: number, tail: string): void {
  let sent = 0;
  const feed = (): void => {
    if (sent === events) {
      if (tail !== '') body.push(tail);
      body.push(null);
      return;
    }
    body.push(chunk(sent++));
    setImmediate(feed);
  };
  setImmediate(feed);
}

/** The same arrivals read as the HTTP floor reads them: a 'data' listener that passes the bytes on. */
async function runFloorOnce(events: number): Promise<number> {
  const body = new Readable({ read() {} });
  const started = process.cpuUsage();
  feedChunks(body, events, '');
  let bytes = 0;
  await new Promise<void>((resolve) => {
    body.on('data', (data: Buffer) => (bytes += data.length));
    body.on('end', resolve);
  });
  const used = process.cpuUsage(started);
  if (bytes === 0) throw new Error('nothing read');
  return ((used.user + used.system) * 1000) / events;
}

async function runOnce(events: number): Promise<number> {
  const body = new Readable({ read() {} });
  const controller = new AbortController();
  const timeouts = { firstTokenTimeoutMs: 60_000, idleTimeoutMs: 60_000, totalTimeoutMs: 600_000 };
  using clock = new ContentClock(timeouts, () => {});
  const parts = guardUpstream(readChatCompletionStream(body), controller.signal, createStreamAccounting(clock, createStreamTally(10)));
  const encoder = openaiChatDialect.createEncoder({ streamId: 'bench', requestId: 'r', model: 'bench', created: 1, demo: false }, { model: 'bench', messages: [], parameters: {} } as never);
  const started = process.cpuUsage();
  feedChunks(body, events, 'data: {"id":"chatcmpl-bench1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
  let bytes = 0;
  for await (const batch of parts) bytes += encoder.encode(mergeDeltas(batch)).length;
  const used = process.cpuUsage(started);
  if (bytes === 0) throw new Error('nothing encoded');
  return ((used.user + used.system) * 1000) / events;
}

const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '7' } } });
const sluice: number[] = [];
const floor: number[] = [];
await runOnce(10_000);
await runFloorOnce(10_000);
// Alternating, so that the machine's noise falls on both.
for (let round = 0; round < Number(values.rounds); round++) {
  sluice.push(await runOnce(Number(values.events)));
  floor.push(await runFloorOnce(Number(values.events)));
}
const describe = (results: number[]): string => `median ${quantilesOf(Float64Array.from(results)).p50.toFixed(0)} (${results.map((value) => value.toFixed(0)).join(' / ')})`;
console.log(`ns of CPU per event, ${values.rounds} alternating rounds of ${values.events} events`);
console.log(`sluice's pipeline: ${describe(sluice)}`);
console.log(`bytes passed on:   ${describe(floor)}`);
