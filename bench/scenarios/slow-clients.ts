/**
 * Scenario 5, slow clients: clients that stop reading after a few events while the upstream streams as
 * fast as it is allowed to. A relay that pulls only when its client can take more keeps its memory
 * bounded and lets backpressure reach the upstream; one that cuts stuck clients at its send timeout also
 * closes the upstream. Measured: the relay's RSS growth, what the upstream wrote, and when it was closed.
 */
import type { UpstreamStreamRecord } from '../fake-upstream.ts';
import { measureJob, type ProcessUsage } from '../harness.ts';
import type { StreamsResult } from '../load.ts';
import { formatCount, formatKilobytes, formatMegabytes, formatMs, formatTable } from '../markdown.ts';
import { quantilesOf, type Quantiles } from '../stats.ts';
import { countEvents, formatStreamModel, type StreamSpec } from '../stream-spec.ts';
import type { TargetName } from '../targets.ts';
import { countEndings, scenarioTargets, withTarget, type BenchContext, type ScenarioReport } from './context.ts';

const STALL_AFTER_EVENTS = 3;

interface SlowClientRow {
  usage: ProcessUsage | undefined;
  stalled: number;
  cutByRelay: number;
  upstreamClosed: number;
  upstreamCloseAfterStall: Quantiles;
  upstreamBytesPerStream: Quantiles;
}

export async function runSlowClients(context: BenchContext): Promise<ScenarioReport> {
  const sendTimeoutMs = context.quick ? 500 : 2000;
  const stallMs = context.quick ? 2500 : 8000;
  const drainMs = context.quick ? 300 : 1000;
  const clients = context.quick ? 10 : 30;
  // About 4 MB/s per stream (the pacing wheel sends at most one event per millisecond): fast enough to
  // fill the megabytes of loopback socket buffers early in the stall.
  const spec: StreamSpec = { tokens: 50_000_000, tokensPerSecond: 1_000_000, tokensPerEvent: 1000, firstTokenDelayMs: 0, record: 'summary' };
  const rows = new Map<TargetName, SlowClientRow | Error>();
  for (const target of scenarioTargets(context, 'slow-clients')) {
    context.progress(`slow clients: ${target.name}`);
    rows.set(target.name, await withTarget(context, target, 'slow-clients', { sendTimeoutMs }, async (running) => {
      const { result, usage } = await measureJob<StreamsResult>(context.load, running.pid, {
        kind: 'streams',
        url: running.url,
        headers: running.headers,
        dialect: running.dialect, http2: running.http2,
        model: formatStreamModel(spec),
        streamIdPrefix: `slow-${target.name}`,
        expectedEvents: countEvents(spec),
        count: clients,
        concurrency: clients,
        rampMs: 200,
        streamTimeoutMs: stallMs + 10_000,
        stallAfterEvents: STALL_AFTER_EVENTS,
        stallMs,
        drainMs,
      });
      const records = await context.upstream.records(result.outcomes.map((outcome) => outcome.streamId));
      const closeAfterStall: number[] = [];
      const upstreamBytes: number[] = [];
      result.outcomes.forEach((outcome, index) => {
        const record: UpstreamStreamRecord | undefined = records[index];
        if (record === undefined || outcome.actionUs === undefined) return;
        upstreamBytes.push(record.bytesWritten);
        if (record.closedEarlyUs !== undefined && record.closedEarlyUs - outcome.actionUs < stallMs * 1000) closeAfterStall.push((record.closedEarlyUs - outcome.actionUs) / 1000);
      });
      return {
        usage,
        stalled: result.outcomes.filter((outcome) => outcome.actionUs !== undefined).length,
        cutByRelay: countEndings(result).cut ?? 0,
        upstreamClosed: closeAfterStall.length,
        upstreamCloseAfterStall: quantilesOf(Float64Array.from(closeAfterStall)),
        upstreamBytesPerStream: quantilesOf(Float64Array.from(upstreamBytes)),
      };
    }));
  }

  const growth = (row: SlowClientRow): number | undefined => (row.usage === undefined ? undefined : row.usage.sampledMaxRssBytes - row.usage.rssBeforeBytes);
  const tableRows = [...rows].map(([name, row]) => {
    if (row instanceof Error) return [name, `failed: ${row.message.slice(0, 80)}`, '', '', '', '', ''];
    const rssGrowth = growth(row);
    return [
      name,
      row.usage === undefined ? '—' : `${formatMegabytes(row.usage.rssBeforeBytes)} → ${formatMegabytes(row.usage.sampledMaxRssBytes)}`,
      rssGrowth === undefined ? '—' : formatKilobytes(rssGrowth / Math.max(1, row.stalled)),
      `${formatMegabytes(row.upstreamBytesPerStream.p50)} / ${formatMegabytes(row.upstreamBytesPerStream.p99)}`,
      `${row.cutByRelay}/${row.stalled}`,
      `${row.upstreamClosed}/${row.stalled}`,
      row.upstreamCloseAfterStall.count === 0 ? 'never' : `${formatMs(row.upstreamCloseAfterStall.p50)} / ${formatMs(row.upstreamCloseAfterStall.p99)}`,
    ];
  });

  return {
    id: 'slow-clients',
    title: '5. Slow clients: stuck readers on a fast upstream',
    markdown: [
      `${clients} clients each read ${STALL_AFTER_EVENTS} events, then stop reading for ${stallMs / 1000} s, then read for ${drainMs / 1000} s more. The upstream offers about ` +
        `4 MB/s per stream (events of ${spec.tokensPerEvent} tokens, about 4.2 KB, at most one per millisecond) and stops writing while its socket is full. ` +
        `Sluice runs with \`SLUICE_SEND_TIMEOUT_MS=${sendTimeoutMs}\`; the peers have no send timeout. ` +
        'Kernel socket buffers on the two loopback hops absorb some megabytes per stream before any process sees backpressure.',
      '',
      formatTable(
        ['target', 'relay RSS before → max (MB)', 'RSS growth per stuck client (KB)', 'upstream wrote per stream p50 / p99 (MB)', 'clients cut by the relay', 'upstream closed during the stall', 'stall → upstream closed p50 / p99 (ms)'],
        tableRows,
      ),
    ].join('\n'),
    headlines: [
      {
        label: 'slow clients: relay RSS growth per stuck client (KB)',
        lowerIsBetter: true,
        format: (value) => formatKilobytes(value),
        values: Object.fromEntries([...rows].flatMap(([name, row]) => {
          if (row instanceof Error || name === 'direct') return [];
          const rssGrowth = growth(row);
          return rssGrowth === undefined ? [] : [[name, rssGrowth / Math.max(1, row.stalled)]];
        })),
      },
    ],
  };
}
