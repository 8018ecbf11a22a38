/**
 * Scenario 4, cancel: each client closes its connection after its fifth token. Measured at the fake
 * upstream's socket: how long until the relay closed the upstream connection, and how many tokens the
 * upstream wrote after the client had left (all of them, for a relay that never cancels).
 */
import type { UpstreamStreamRecord } from '../fake-upstream.ts';
import type { StreamOutcome, StreamsResult } from '../load.ts';
import { formatCount, formatMs, formatTable } from '../markdown.ts';
import { quantilesOf, type Quantiles } from '../stats.ts';
import { countEvents, formatStreamModel, type StreamSpec } from '../stream-spec.ts';
import type { TargetName } from '../targets.ts';
import { scenarioTargets, sleep, withTarget, type BenchContext, type ScenarioReport } from './context.ts';

const CANCEL_AFTER_EVENTS = 5;

interface CancelRow {
  cancelled: number;
  closedByRelay: number;
  ranToEnd: number;
  closeDelay: Quantiles;
  tokensAfter: Quantiles;
  maxTokensAfter: number;
  tokensAfterTotal: number;
}

async function waitForUpstreamEnds(context: BenchContext, streamIds: string[], deadlineMs: number): Promise<(UpstreamStreamRecord | undefined)[]> {
  for (;;) {
    const records = await context.upstream.records(streamIds);
    const settled = records.every((record) => record === undefined || record.completed || record.closedEarlyUs !== undefined);
    if (settled || performance.now() >= deadlineMs) return records;
    await sleep(100);
  }
}

function summarize(outcomes: StreamOutcome[], records: (UpstreamStreamRecord | undefined)[]): CancelRow {
  const closeDelays: number[] = [];
  const tokensAfter: number[] = [];
  let ranToEnd = 0;
  outcomes.forEach((outcome, index) => {
    const record = records[index];
    if (outcome.ending !== 'cancelled' || outcome.actionUs === undefined || record === undefined) return;
    const leftUs = outcome.actionUs;
    tokensAfter.push((record.writeTimesUs ?? []).filter((writeUs) => writeUs > leftUs).length);
    if (record.closedEarlyUs !== undefined) closeDelays.push((record.closedEarlyUs - leftUs) / 1000);
    else ranToEnd += 1;
  });
  return {
    cancelled: tokensAfter.length,
    closedByRelay: closeDelays.length,
    ranToEnd,
    closeDelay: quantilesOf(Float64Array.from(closeDelays)),
    tokensAfter: quantilesOf(Float64Array.from(tokensAfter)),
    maxTokensAfter: tokensAfter.reduce((max, value) => Math.max(max, value), 0),
    tokensAfterTotal: tokensAfter.reduce((sum, value) => sum + value, 0),
  };
}

export async function runCancel(context: BenchContext): Promise<ScenarioReport> {
  const spec: StreamSpec = { tokens: context.quick ? 100 : 200, tokensPerSecond: 100, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'times' };
  const count = context.quick ? 20 : 200;
  const streamMs = (1000 * spec.tokens) / spec.tokensPerSecond;
  const rows = new Map<TargetName, CancelRow | Error>();
  for (const target of scenarioTargets(context)) {
    context.progress(`cancel: ${target.name}`);
    rows.set(target.name, await withTarget(context, target, 'cancel', {}, async (running) => {
      const result = await context.load.run<StreamsResult>({
        kind: 'streams',
        url: running.url,
        headers: running.headers,
        dialect: running.dialect, http2: running.http2,
        model: formatStreamModel(spec),
        streamIdPrefix: `cancel-${target.name}`,
        expectedEvents: countEvents(spec),
        count,
        concurrency: 10,
        rampMs: 100,
        streamTimeoutMs: streamMs + 10_000,
        cancelAfterEvents: CANCEL_AFTER_EVENTS,
      });
      const records = await waitForUpstreamEnds(context, result.outcomes.map((outcome) => outcome.streamId), performance.now() + streamMs + 1000);
      return summarize(result.outcomes, records);
    }));
  }

  const tableRows = [...rows].map(([name, row]) => {
    if (row instanceof Error) return [name, `failed: ${row.message.slice(0, 80)}`, '', '', '', ''];
    return [
      name,
      `${row.closedByRelay}/${row.cancelled}${row.ranToEnd > 0 ? ` (${row.ranToEnd} ran to the end)` : ''}`,
      row.closeDelay.count === 0 ? 'never' : `${formatMs(row.closeDelay.p50)} / ${formatMs(row.closeDelay.p99)}`,
      `${formatCount(row.tokensAfter.p50)} / ${formatCount(row.tokensAfter.p99)} / ${formatCount(row.maxTokensAfter)}`,
      formatCount(row.tokensAfterTotal),
    ];
  });

  return {
    id: 'cancel',
    title: '4. Cancel: the client leaves mid-stream',
    markdown: [
      `${count} streams (10 at a time) of ${spec.tokens} tokens at ${spec.tokensPerSecond} tokens/s; each client destroys its socket once its ${CANCEL_AFTER_EVENTS}th token arrived. ` +
        `The fake upstream logs when its socket closed and the time of every token it wrote; "after" counts the writes later than the client's close (same monotonic clock). ` +
        `Observed until every upstream stream ended or ${formatCount(streamMs + 1000)} ms passed.`,
      '',
      formatTable(['target', 'upstream closed early / cancels', 'client close → upstream close p50 / p99 (ms)', 'tokens written after the client left p50 / p99 / max', 'total wasted tokens'], tableRows),
    ].join('\n'),
    headlines: [
      {
        label: 'cancel: client close → upstream close p99 (ms)',
        lowerIsBetter: true,
        format: formatMs,
        values: Object.fromEntries([...rows].flatMap(([name, row]) => (row instanceof Error || name === 'direct' ? [] : [[name, row.ranToEnd > 0 ? Number.POSITIVE_INFINITY : row.closeDelay.p99]]))),
      },
      {
        label: 'cancel: tokens generated after the client left, p99',
        lowerIsBetter: true,
        format: formatCount,
        values: Object.fromEntries([...rows].flatMap(([name, row]) => (row instanceof Error || name === 'direct' ? [] : [[name, row.tokensAfter.p99]]))),
      },
    ],
  };
}
