/**
 * Scenario 3, scale: many slow streams held open at once by one relay process (one token at once, then
 * one every 5 s). Resident memory per stream = (RSS while all are held − RSS before) / streams held.
 */
import { measureJob, type ProcessUsage } from '../harness.ts';
import type { HoldResult } from '../load.ts';
import { formatCount, formatKilobytes, formatMegabytes, formatTable } from '../markdown.ts';
import { readListenOverflows } from '../proc-stats.ts';
import { formatStreamModel } from '../stream-spec.ts';
import type { TargetName } from '../targets.ts';
import { scenarioTargets, sleep, withTarget, type BenchContext, type ScenarioReport } from './context.ts';

/**
 * A relay holds two sockets per stream (client and upstream) and a process here may open at most 20,000
 * files (`ulimit -Hn`, which this sandbox does not let root raise), so 9,800 streams is as close to
 * 10,000 as one relay can get on this machine.
 */
const FULL_STREAMS = 9_800;
const QUICK_STREAMS = 500;

interface ScaleRow {
  result: HoldResult;
  listenOverflows: number;
  held: ProcessUsage | undefined;
  bytesPerStream: number | undefined;
}

export async function runScale(context: BenchContext): Promise<ScenarioReport> {
  const streams = context.quick ? QUICK_STREAMS : FULL_STREAMS;
  const holdMs = context.quick ? 1000 : 5000;
  const openPerSecond = 2000;
  const openTimeoutMs = context.quick ? 5000 : 30_000;
  const model = formatStreamModel({ tokens: 1000, tokensPerSecond: 0.2, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' });
  const rows = new Map<TargetName, ScaleRow | Error>();
  for (const target of scenarioTargets(context)) {
    context.progress(`scale: ${target.name}, ${streams} streams`);
    rows.set(target.name, await withTarget(context, target, 'scale', {}, async (running) => {
      let held: ProcessUsage | undefined;
      let sampling: Promise<void> = Promise.resolve();
      const overflowsBefore = readListenOverflows();
      const { result } = await measureJob<HoldResult>(
        context.load,
        running.pid,
        { kind: 'hold', url: running.url, headers: running.headers,
        dialect: running.dialect, http2: running.http2, model, streamIdPrefix: `scale-${target.name}`, count: streams, openPerSecond, openTimeoutMs, holdMs },
        (_label, readUsage) => {
          sampling = sleep(holdMs / 2).then(() => {
            held = readUsage?.();
          });
        },
      );
      await sampling;
      const bytesPerStream = held === undefined || result.live === 0 ? undefined : (held.rssAfterBytes - held.rssBeforeBytes) / result.live;
      return { result, listenOverflows: readListenOverflows() - overflowsBefore, held, bytesPerStream };
    }));
  }

  const tableRows = [...rows].map(([name, row]) => {
    if (row instanceof Error) return [name, `failed: ${row.message.slice(0, 80)}`, '', '', '', '', '', ''];
    const extrapolated = row.held === undefined || row.bytesPerStream === undefined ? undefined : row.held.rssBeforeBytes + 10_000 * row.bytesPerStream;
    const otherEndings = Object.entries(row.result.endings).map(([ending, count]) => `${count} ${ending}`).join(', ');
    return [
      name,
      `${formatCount(row.result.live)}/${formatCount(row.result.opened)}${otherEndings === '' ? '' : ` (${otherEndings.slice(0, 80)})`}`,
      (row.result.openMs / 1000).toFixed(1),
      formatCount(row.listenOverflows),
      row.held === undefined ? '—' : `${formatMegabytes(row.held.rssBeforeBytes)} → ${formatMegabytes(row.held.rssAfterBytes)}`,
      row.held === undefined ? '—' : formatMegabytes(row.held.peakRssBytes),
      formatKilobytes(row.bytesPerStream),
      formatMegabytes(extrapolated),
    ];
  });

  return {
    id: 'scale',
    title: '3. Scale: concurrent slow streams in one process',
    markdown: [
      `${formatCount(streams)} streams opened at up to ${openPerSecond}/s, each sending one token at once and then one every 5 s, held ${holdMs / 1000} s once all ` +
        `showed a first token or failed (or ${openTimeoutMs / 1000} s after the last was opened); RSS read from /proc ${holdMs / 2000} s into the hold. ` +
        (context.quick ? '' : 'A relay holds two sockets per stream and a process here may open at most 20,000 files, so 9,800 streams is the most one relay can hold on this machine; the last column extrapolates linearly to 10,000. ') +
        '"listen overflows" is the growth of TcpExt ListenOverflows (/proc/net/netstat) over the phase: connections the kernel dropped because the accept queue of a listening socket was full (counted for the whole network namespace, so other work on the machine may add to it).',
      '',
      formatTable(['target', 'streams live / opened', 'open time (s)', 'listen overflows', 'RSS before → held (MB)', 'peak RSS (MB)', 'RSS per stream (KB)', 'RSS at 10,000 streams (MB)'], tableRows),
    ].join('\n'),
    headlines: [
      {
        label: 'RSS per held stream (KB)',
        lowerIsBetter: true,
        format: (value) => formatKilobytes(value),
        values: Object.fromEntries([...rows].flatMap(([name, row]) => (row instanceof Error || row.bytesPerStream === undefined || name === 'direct' ? [] : [[name, row.bytesPerStream]]))),
      },
    ],
  };
}
