/**
 * Scenario 1, overhead at low load: a few concurrent streams at 50 tokens/s. What a relay adds to the
 * time to first token, to each token's one-way latency and to the gap between tokens, over "direct".
 */
import { measureJob } from '../harness.ts';
import type { StreamsJob, StreamsResult } from '../load.ts';
import { formatCount, formatMs, formatTable } from '../markdown.ts';
import { quantilesOf, type Quantiles } from '../stats.ts';
import { countEvents, formatStreamModel, type StreamSpec } from '../stream-spec.ts';
import type { RunningTarget, TargetName } from '../targets.ts';
import { describeFirstFailure, launchLineup, stopLineup, type BenchContext, type ScenarioReport } from './context.ts';

interface OverheadRow {
  ttft: Quantiles;
  latency: Quantiles;
  gap: Quantiles;
  cpuUsPerEvent: number | undefined;
  endings: string;
}

interface Accumulated {
  ttftMs: Float64Array[];
  latencyMs: Float64Array[];
  gapMs: Float64Array[];
  cpuMs: number | undefined;
  events: number;
  complete: number;
  streams: number;
  firstFailure: string | undefined;
}

function concatenate(parts: Float64Array[]): Float64Array {
  const joined = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

export async function runOverhead(context: BenchContext): Promise<ScenarioReport> {
  const spec: StreamSpec = { tokens: context.quick ? 25 : 50, tokensPerSecond: 50, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' };
  const concurrency = context.quick ? 10 : 15;
  // Targets take turns, round after round, so a burst of load from elsewhere on the machine falls on
  // all of them rather than on whichever ran at that moment.
  const rounds = context.quick ? 1 : 5;
  const streamsPerRound = context.quick ? 30 : 45;
  const warmupStreams = context.quick ? 100 : 1000;
  const job = (name: TargetName, running: RunningTarget, prefix: string, streams: number, tokens: number): StreamsJob => ({
    kind: 'streams',
    url: running.url,
    headers: running.headers,
    dialect: running.dialect, http2: running.http2,
    model: formatStreamModel({ ...spec, tokens }),
    streamIdPrefix: `overhead-${name}-${prefix}`,
    expectedEvents: countEvents({ ...spec, tokens }),
    count: streams,
    concurrency,
    rampMs: 1000,
    streamTimeoutMs: 30_000,
  });
  const lineup = await launchLineup(context, 'overhead');
  const accumulated = new Map<TargetName, Accumulated>();
  try {
    // Warm every target up as a long-lived process is: its request path run often enough to be compiled
    // (a Node relay's time to first token falls by about half over its first few hundred requests).
    for (const [name, running] of lineup) {
      if (running instanceof Error) continue;
      await context.load.run({ ...job(name, running, 'warmup', warmupStreams, 1), rampMs: 200 });
      accumulated.set(name, { ttftMs: [], latencyMs: [], gapMs: [], cpuMs: running.pid === undefined ? undefined : 0, events: 0, complete: 0, streams: 0, firstFailure: undefined });
    }
    for (let round = 0; round < rounds; round++) {
      for (const [name, running] of lineup) {
        const sums = accumulated.get(name);
        if (running instanceof Error || sums === undefined) continue;
        context.progress(`overhead: round ${round + 1}/${rounds}, ${name}`);
        const { result, usage } = await measureJob<StreamsResult>(context.load, running.pid, job(name, running, `round${round}`, streamsPerRound, spec.tokens));
        sums.ttftMs.push(result.ttftMs);
        sums.latencyMs.push(result.latencyMs);
        sums.gapMs.push(result.gapMs);
        if (sums.cpuMs !== undefined && usage !== undefined) sums.cpuMs += usage.cpuMs;
        sums.events += result.outcomes.reduce((sum, outcome) => sum + outcome.events, 0);
        sums.streams += result.outcomes.length;
        sums.complete += result.outcomes.filter((outcome) => outcome.ending === 'complete').length;
        sums.firstFailure ??= describeFirstFailure(result);
      }
    }
  } finally {
    await stopLineup(lineup);
  }
  const rows = new Map<TargetName, OverheadRow | Error>();
  for (const [name, running] of lineup) {
    const sums = accumulated.get(name);
    if (running instanceof Error || sums === undefined) {
      rows.set(name, running instanceof Error ? running : new Error('did not run'));
      continue;
    }
    rows.set(name, {
      ttft: quantilesOf(concatenate(sums.ttftMs)),
      latency: quantilesOf(concatenate(sums.latencyMs)),
      gap: quantilesOf(concatenate(sums.gapMs)),
      cpuUsPerEvent: sums.cpuMs === undefined ? undefined : (sums.cpuMs * 1000) / sums.events,
      endings: `${sums.complete}/${sums.streams}${sums.firstFailure === undefined ? '' : ` (${sums.firstFailure})`}`,
    });
  }
  const count = rounds * streamsPerRound;

  const direct = rows.get('direct');
  const baseline = direct instanceof Error ? undefined : direct;
  const added = (row: OverheadRow, pick: (row: OverheadRow) => Quantiles, fraction: 'p50' | 'p99'): number | undefined =>
    baseline === undefined ? undefined : pick(row)[fraction] - pick(baseline)[fraction];

  const tableRows = [...rows].map(([name, row]) => {
    if (row instanceof Error) return [name, `failed: ${row.message.slice(0, 80)}`, '', '', '', '', '', ''];
    const isDirect = name === 'direct';
    return [
      name,
      `${formatMs(row.ttft.p50)} / ${formatMs(row.ttft.p99)}`,
      isDirect ? '—' : `${formatMs(added(row, (r) => r.ttft, 'p50'))} / ${formatMs(added(row, (r) => r.ttft, 'p99'))}`,
      `${formatMs(row.latency.p50)} / ${formatMs(row.latency.p99)}`,
      isDirect ? '—' : `${formatMs(added(row, (r) => r.latency, 'p50'))} / ${formatMs(added(row, (r) => r.latency, 'p99'))}`,
      isDirect ? formatMs(row.gap.p99) : `${formatMs(row.gap.p99)} (${formatMs(added(row, (r) => r.gap, 'p99'))})`,
      row.cpuUsPerEvent === undefined ? '—' : formatCount(row.cpuUsPerEvent),
      row.endings,
    ];
  });

  const headline = (label: string, pick: (row: OverheadRow) => number | undefined, format = formatMs) => ({
    label,
    lowerIsBetter: true,
    format,
    values: Object.fromEntries(
      [...rows].flatMap(([name, row]) => {
        if (name === 'direct' || row instanceof Error) return [];
        const value = pick(row);
        return value === undefined ? [] : [[name, value]];
      }),
    ),
  });

  return {
    id: 'overhead',
    title: '1. Overhead at low load',
    markdown: [
      `${count} streams per target, ${concurrency} at a time, each ${spec.tokens} tokens at ${spec.tokensPerSecond} tokens/s, one token per event, ` +
        `in ${rounds} round${rounds === 1 ? '' : 's'} of ${streamsPerRound} where the targets take turns, after ${formatCount(warmupStreams)} one-token streams per target to warm it up. ` +
        'Token latency is each token\'s one-way time from the upstream\'s write to the client\'s read (same monotonic clock); ' +
        '"added" is the target minus direct at the same percentile. Milliseconds; p50 / p99.',
      '',
      formatTable(['target', 'TTFT', 'added TTFT', 'token latency', 'added token latency', 'gap p99 (added)', 'CPU µs/event', 'complete'], tableRows),
    ].join('\n'),
    headlines: [
      headline('added TTFT p50 (ms)', (row) => added(row, (r) => r.ttft, 'p50')),
      headline('added TTFT p99 (ms)', (row) => added(row, (r) => r.ttft, 'p99')),
      headline('added token latency p99 at low load (ms)', (row) => added(row, (r) => r.latency, 'p99')),
      headline('added inter-token gap p99 (ms)', (row) => added(row, (r) => r.gap, 'p99')),
    ],
  };
}
