/**
 * The behaviour every stream hub shares, run against the memory hub and the Redis hub (read on the
 * instance that generates, and read from another instance). A hub numbers parts, replays after any
 * position it still keeps, tails, fans out to several readers, refuses what it no longer has, stops a
 * cancelled or abandoned stream, and forgets a stream after its retention.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HubEntry } from '../../packages/server/src/pipeline/hub/hub-entry.ts';
import type { HubProducer, HubReader, HubStopReason, HubStreamOptions, StreamHub } from '../../packages/server/src/pipeline/hub/stream-hub.ts';
import { SluiceError, type StreamMeta, type StreamPart } from '@sluice/protocol';

export const contractOptions: HubStreamOptions = { maxEntries: 20, maxBytes: 1_048_576, retentionMs: 400, graceMs: 150 };

export interface HubPair {
  /** Where streams are generated. */
  producerHub: StreamHub;
  /** Where readers open them: the same hub, or another instance of it. */
  readerHub: StreamHub;
  /** Entries a producer must append past the bound before the oldest are surely dropped (Redis trims approximately). */
  overflowEntries: number;
  close(): Promise<void>;
}

export function runHubContract(name: string, createPair: () => Promise<HubPair>, sameInstance: boolean): void {
  describe(`stream hub contract: ${name}`, () => {
    let pair: HubPair;
    before(async () => {
      pair = await createPair();
    });
    after(() => pair.close());

    interface Started {
      producer: HubProducer;
      meta: StreamMeta;
      stops: HubStopReason[];
    }

    async function startStream(): Promise<Started> {
      const meta: StreamMeta = { streamId: randomBytes(9).toString('base64url'), requestId: 'req-1', model: 'gpt-test', created: 1_700_000_000, demo: false };
      const stops: HubStopReason[] = [];
      const producer = await pair.producerHub.create(meta, { stop: (reason) => stops.push(reason) });
      return { producer, meta, stops };
    }

    /** Reads until the terminal entry (or undefined), failing after `timeoutMs`. */
    async function readAll(reader: HubReader, timeoutMs = 3000): Promise<HubEntry[]> {
      const entries: HubEntry[] = [];
      const deadline = performance.now() + timeoutMs;
      while (true) {
        const batch = await Promise.race([reader.next(), sleep(Math.max(1, deadline - performance.now())).then(() => 'timeout' as const)]);
        if (batch === 'timeout') throw new Error(`no terminal entry within ${timeoutMs} ms; got ${JSON.stringify(entries)}`);
        if (batch === undefined) return entries;
        entries.push(...batch);
      }
    }

    const text = (index: number): StreamPart => ({ type: 'text-delta', text: `t${index} ` });
    const finish: StreamPart = { type: 'finish', finishReason: 'stop' };

    test('numbers parts from 1 and replays them in order, ending after the terminal part', async () => {
      const { producer, meta } = await startStream();
      for (let index = 1; index <= 5; index += 1) producer.append(text(index));
      producer.append(finish);
      await producer.settled();
      const reader = await pair.readerHub.open(meta.streamId, 0);
      assert.deepEqual(reader.meta, meta);
      assert.equal(reader.complete, false);
      const entries = await readAll(reader);
      reader.close();
      assert.deepEqual(
        entries.map((entry) => entry.sequence),
        [1, 2, 3, 4, 5, 6],
      );
      assert.deepEqual(entries.at(-1)?.part, finish);
      assert.equal(entries[2]?.part.type === 'text-delta' && entries[2].part.text, 't3 ');
    });

    test('replays after a position, then tails the live stream', async () => {
      const { producer, meta } = await startStream();
      for (let index = 1; index <= 4; index += 1) producer.append(text(index));
      await producer.settled();
      const reader = await pair.readerHub.open(meta.streamId, 2);
      const first = await reader.next();
      assert.deepEqual(
        first?.map((entry) => entry.sequence),
        [3, 4],
      );
      const pending = readAll(reader);
      await sleep(20);
      producer.append(text(5));
      await sleep(5);
      producer.append(finish);
      const rest = await pending;
      reader.close();
      assert.deepEqual(
        rest.map((entry) => entry.sequence),
        [5, 6],
      );
    });

    test('several readers each get every entry exactly once', async () => {
      const { producer, meta } = await startStream();
      producer.append(text(1));
      await producer.settled();
      const readers = await Promise.all([pair.readerHub.open(meta.streamId, 0), pair.readerHub.open(meta.streamId, 0), pair.producerHub.open(meta.streamId, 0)]);
      const reads = readers.map((reader) => readAll(reader));
      for (let index = 2; index <= 30; index += 1) {
        producer.append(text(index));
        if (index % 7 === 0) await sleep(2);
      }
      producer.append(finish);
      for (const entries of await Promise.all(reads)) {
        assert.deepEqual(
          entries.map((entry) => entry.sequence),
          Array.from({ length: 31 }, (_, index) => index + 1),
        );
      }
      for (const reader of readers) reader.close();
    });

    test('an unknown stream is not_found', async () => {
      await assert.rejects(pair.readerHub.open('no-such-stream', 0), (error: unknown) => error instanceof SluiceError && error.code === 'not_found');
    });

    test('a position the log no longer keeps is gone, at open and for a reader that fell behind', async () => {
      const { producer, meta } = await startStream();
      producer.append(text(1));
      await producer.settled();
      const slow = await pair.readerHub.open(meta.streamId, 0);
      for (let index = 2; index <= pair.overflowEntries; index += 1) producer.append(text(index));
      await producer.settled();
      await assert.rejects(pair.readerHub.open(meta.streamId, 0), (error: unknown) => error instanceof SluiceError && error.code === 'gone');
      await assert.rejects(slow.next(), (error: unknown) => error instanceof SluiceError && error.code === 'gone');
      slow.close();
      producer.append(finish);
      await producer.settled();
    });

    test('a reader opened at the end of a finished stream is complete and reads nothing', async () => {
      const { producer, meta } = await startStream();
      producer.append(text(1));
      producer.append({ type: 'error', code: 'upstream_error', message: 'cut', retryable: true });
      await producer.settled();
      for (const position of [2, 3]) {
        const reader = await pair.readerHub.open(meta.streamId, position);
        assert.equal(reader.complete, true, `after ${position}`);
        assert.equal(await reader.next(), undefined);
        reader.close();
      }
      const behind = await pair.readerHub.open(meta.streamId, 1);
      assert.equal(behind.complete, false);
      assert.deepEqual((await readAll(behind)).map((entry) => entry.part.type), ['error']);
      behind.close();
    });

    if (sameInstance) {
      test('a position the stream never reached is a bad request', async () => {
        const { producer, meta } = await startStream();
        producer.append(text(1));
        await assert.rejects(pair.readerHub.open(meta.streamId, 5), (error: unknown) => error instanceof SluiceError && error.code === 'bad_request');
        producer.append(finish);
        await producer.settled();
      });
    }

    test('closing a reader ends its pending read', async () => {
      const { producer, meta } = await startStream();
      producer.append(text(1));
      await producer.settled();
      const reader = await pair.readerHub.open(meta.streamId, 1);
      const pending = reader.next();
      await sleep(20);
      reader.close();
      assert.equal(await pending, undefined);
      producer.append(finish);
      await producer.settled();
    });

    test('cancel stops the generation wherever it runs; a finished or unknown stream says so', async () => {
      const { producer, meta, stops } = await startStream();
      producer.append(text(1));
      await producer.settled();
      const outcome = await pair.readerHub.cancel(meta.streamId);
      assert.ok(outcome === 'cancelled' || outcome === 'cancelling', outcome);
      const deadline = performance.now() + 2000;
      while (stops.length === 0 && performance.now() < deadline) await sleep(2);
      assert.deepEqual(stops, ['cancel_requested']);
      producer.append({ type: 'error', code: 'cancelled', message: 'The stream was cancelled', retryable: false });
      await producer.settled();
      assert.equal(await pair.readerHub.cancel(meta.streamId), 'finished');
      assert.equal(await pair.readerHub.cancel('no-such-stream'), 'not_found');
    });

    test('a stream whose last reader left is stopped after the grace period, unless a reader comes back', async () => {
      const abandoned = await startStream();
      const kept = await startStream();
      for (const started of [abandoned, kept]) {
        started.producer.append(text(1));
        started.producer.openReader(0).close();
      }
      await kept.producer.settled();
      await sleep(contractOptions.graceMs / 2);
      const returning = await pair.readerHub.open(kept.meta.streamId, 1);
      const reading = returning.next();
      await sleep(contractOptions.graceMs * 2);
      assert.deepEqual(abandoned.stops, ['abandoned']);
      assert.deepEqual(kept.stops, [], 'a reader that came back within the grace period keeps the stream');
      returning.close();
      assert.equal(await reading, undefined);
      for (const started of [abandoned, kept]) started.producer.append(finish);
      await Promise.all([abandoned.producer.settled(), kept.producer.settled()]);
    });

    test('a finished stream is forgotten after its retention', async () => {
      const { producer, meta } = await startStream();
      producer.append(finish);
      await producer.settled();
      (await pair.readerHub.open(meta.streamId, 0)).close();
      await sleep(contractOptions.retentionMs + 150);
      await assert.rejects(pair.readerHub.open(meta.streamId, 0), (error: unknown) => error instanceof SluiceError && error.code === 'not_found');
    });
  });
}
