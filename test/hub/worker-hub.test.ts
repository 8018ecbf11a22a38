/**
 * The worker hubs of SLUICE_WORKERS without Redis: the hub contract across two workers, connected as the
 * primary connects them (through the router, every message a turn of the event loop later, as process
 * IPC delivers it), and a worker that dies mid-stream ends its remote readers with a retryable error.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryHub } from '../../packages/server/src/pipeline/hub/memory-hub.ts';
import { createWorkerHub, type WorkerHub } from '../../packages/server/src/pipeline/hub/worker-hub.ts';
import { WorkerHubRouter } from '../../packages/server/src/pipeline/hub/worker-hub-router.ts';
import { contractOptions, runHubContract } from './hub-contract.ts';

/** Worker hubs 1..count behind one router, with `leave(id)` for a worker that dies. */
function createWorkers(count: number): { hubs: WorkerHub[]; leave(workerId: number): void } {
  const hubs = new Map<number, WorkerHub>();
  const router = new WorkerHubRouter((workerId, delivery) => setImmediate(() => hubs.get(workerId)?.receive(delivery)));
  for (let workerId = 1; workerId <= count; workerId += 1) {
    hubs.set(workerId, createWorkerHub(createMemoryHub(contractOptions), { send: (report) => setImmediate(() => router.receive(workerId, report)) }, workerId));
    router.joined(workerId);
  }
  return {
    hubs: [...hubs.values()],
    leave(workerId) {
      hubs.delete(workerId);
      router.left(workerId);
    },
  };
}

runHubContract(
  'workers, read from another worker',
  async () => {
    const { hubs } = createWorkers(3);
    return {
      producerHub: hubs[0]!,
      readerHub: hubs[2]!,
      overflowEntries: contractOptions.maxEntries * 2,
      close: async () => {
        for (const hub of hubs) await hub.close();
      },
    };
  },
  false,
);

test('a worker that dies mid-stream ends its readers on other workers with a retryable error', async () => {
  const { hubs, leave } = createWorkers(2);
  const meta = { streamId: 'dying-1', requestId: 'req-1', model: 'gpt-test', created: 1_700_000_000, demo: false };
  const producer = await hubs[0]!.create(meta, { stop: () => {} });
  producer.append({ type: 'text-delta', text: 'a' });
  const reader = await hubs[1]!.open(meta.streamId, 0);
  assert.deepEqual((await reader.next())?.map((entry) => entry.part.type), ['text-delta']);
  const pending = reader.next();
  await sleep(10);
  leave(1);
  const ending = await pending;
  assert.equal(ending?.length, 1);
  assert.deepEqual(ending?.[0], { sequence: 2, part: { type: 'error', code: 'internal', message: 'The instance generating this stream stopped before it finished; ask again', retryable: true } });
  assert.equal(await reader.next(), undefined);
  await hubs[1]!.close();
});
