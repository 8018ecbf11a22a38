/**
 * The flush budget (SLUICE_FLUSH_MS): tokens that come close together leave in fewer writes, none waits
 * longer than the budget, the end is not held back, and nothing is left running once the stream ended.
 * Without a budget every event leaves as soon as the socket takes it. The stream contract holds with a
 * budget too (exact text, cancel, errors, backpressure).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sluiceReader } from '../support/dialect-readers.ts';
import { activeTimers, eventually, startHarness } from '../support/sluice-harness.ts';
import { describeStreamContract } from '../support/stream-contract.ts';

const tokens = Array.from({ length: 60 }, (_, index) => `t${index} `);

/** A stream of 60 tokens 4 ms apart through a Sluice with the budget: when each read of its body arrived. */
async function readArrivals(flushMs: number): Promise<{ arrivals: number[]; text: string; ending: string; timersLeft: number; timersBefore: number }> {
  const harness = await startHarness({ flushMs, heartbeatMs: 60_000 });
  try {
    const timersBefore = activeTimers();
    harness.fake.setScenario({ tokens, tokenIntervalMs: 4 });
    const stream = await harness.readStream(sluiceReader.path, { body: sluiceReader.body('hi') });
    // The head and `meta` come before the first token, and are not held.
    const arrivals = stream.reads.slice(1);
    const summary = sluiceReader.summarize(stream.messages);
    await eventually(() => harness.sluice.activeStreams() === 0, 'no stream in flight');
    return { arrivals, text: summary.text, ending: summary.ending, timersLeft: activeTimers(), timersBefore };
  } finally {
    await harness.close();
  }
}

test('with SLUICE_FLUSH_MS=60, tokens 4 ms apart leave in a few writes, none held past the budget', async () => {
  const held = await readArrivals(60);
  assert.equal(held.text, tokens.join(''));
  assert.equal(held.ending, 'done');
  const unheld = await readArrivals(0);
  assert.equal(unheld.text, tokens.join(''));
  // 60 tokens over about 240 ms: without a budget they arrive as they come, with one in a handful of writes.
  assert.ok(held.arrivals.length <= 10, `${held.arrivals.length} reads with the budget`);
  assert.ok(unheld.arrivals.length > 2 * held.arrivals.length, `${unheld.arrivals.length} reads without it, ${held.arrivals.length} with it`);
  const gaps = held.arrivals.slice(1).map((at, index) => at - held.arrivals[index]!);
  // The budget plus slack for a loaded machine: a token waits at most one budget, so reads are never further apart.
  assert.ok(Math.max(...gaps) < 60 + 50, `reads ${gaps.map((gap) => gap.toFixed(0)).join(', ')} ms apart`);
  assert.ok(held.timersLeft <= held.timersBefore, 'the budget leaves no timer behind');
});

describeStreamContract(sluiceReader, 'openai-chat', { flushMs: 20 });
