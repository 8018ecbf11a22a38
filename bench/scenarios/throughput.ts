/**
 * Scenario 2, throughput: a ladder of concurrent 50 tokens/s streams, all targets at each rung before
 * the next. Each rung opens its streams over 1 s, then measures a steady-state window in which every
 * stream is mid-flight: token latencies, events relayed, and the relay's CPU time between the window's
 * two marks (so stream setup is not charged to events). A relay passes a rung while its added p99 token
 * latency stays within 5 ms and every stream completes; it leaves the ladder at its first failed rung.
 * Run with one token per event and with several, as vLLM's stream interval or llama.cpp send them.
 */
import { measureJob, type ProcessUsage } from '../harness.ts';
import { readCpuTimeMs } from '../proc-stats.ts';
import type { StreamsResult } from '../load.ts';
import { formatCount, formatMs, formatTable } from '../markdown.ts';
import { quantilesOf, type Quantiles } from '../stats.ts';
import { countEvents, formatStreamModel, type StreamSpec } from '../stream-spec.ts';
import type { RunningTarget, TargetName } from '../targets.ts';
import { describeEndings, launchLineup, stopLineup, type BenchContext, type HeadlineMetric, type ScenarioReport } from './context.ts';

export const ADDED_P99_LIMIT_MS = 5;
export const TOKENS_PER_SECOND = 50;

export interface Rung {
  streams: number;
  offeredEventsPerSecond: number;
  relayedEventsPerSecond: number;
  latency: Quantiles;
  addedP99: number | undefined;
  cpuUsPerEvent: number | undefined;
  coreShare: number | undefined;
  harnessCoreShare: number;
  endings: string;
  complete: boolean;
}

interface TargetLadder {
  rungs: Rung[];
  /** Offered events/s of the highest rung passed. */
  bestEventsPerSecond: number | undefined;
  stopped: string | undefined;
}

export interface RungPlan {
  streams: number;
  spec: StreamSpec;
  rampMs: number;
  settleMs: number;
  windowMs: number;
}

/** Runs one rung against one target; CPU of the relay and of the harness is read at the window's marks. */
export async function measureRung(context: BenchContext, name: TargetName, target: RunningTarget, plan: RungPlan): Promise<Rung> {
  let windowStart: ProcessUsage | undefined;
  let windowEnd: ProcessUsage | undefined;
  const harnessPids = [context.upstream.pid, context.load.pid];
  let harnessCpuStartMs = 0;
  let harnessCpuEndMs = 0;
  const { result } = await measureJob<StreamsResult>(context.load, target.pid, {
    kind: 'streams',
    url: target.url,
    headers: target.headers,
    dialect: target.dialect,
    http2: target.http2,
    model: formatStreamModel(plan.spec),
    streamIdPrefix: `throughput-${plan.spec.tokensPerEvent}-${plan.streams}-${name}`,
    expectedEvents: countEvents(plan.spec),
    count: plan.streams,
    concurrency: plan.streams,
    rampMs: plan.rampMs,
    streamTimeoutMs: 60_000,
    measureWindow: { startMs: plan.rampMs + plan.settleMs, durationMs: plan.windowMs },
  }, (label, readUsage) => {
    const harnessCpuMs = harnessPids.reduce((sum, pid) => sum + readCpuTimeMs(pid), 0);
    if (label === 'window-start') {
      windowStart = readUsage?.();
      harnessCpuStartMs = harnessCpuMs;
    }
    if (label === 'window-end') {
      windowEnd = readUsage?.();
      harnessCpuEndMs = harnessCpuMs;
    }
  });
  const windowCpuMs = windowStart === undefined || windowEnd === undefined ? undefined : windowEnd.cpuMs - windowStart.cpuMs;
  const latency = quantilesOf(result.latencyMs);
  const complete = result.outcomes.every((outcome) => outcome.ending === 'complete');
  return {
    streams: plan.streams,
    offeredEventsPerSecond: (plan.streams * TOKENS_PER_SECOND) / plan.spec.tokensPerEvent,
    relayedEventsPerSecond: (result.windowEvents * 1000) / plan.windowMs,
    latency,
    addedP99: undefined,
    cpuUsPerEvent: windowCpuMs === undefined ? undefined : (windowCpuMs * 1000) / result.windowEvents,
    coreShare: windowCpuMs === undefined ? undefined : windowCpuMs / plan.windowMs,
    harnessCoreShare: (harnessCpuEndMs - harnessCpuStartMs) / plan.windowMs,
    endings: describeEndings(result),
    complete,
  };
}

/** Orders passes: a pass with a failed stream is worse than any complete one, then by p99 latency. */
function rankRung(rung: Rung): number {
  return (rung.complete ? 0 : 1e9) + rung.latency.p99;
}

export async function warmUp(context: BenchContext, name: TargetName, target: RunningTarget): Promise<void> {
  const spec: StreamSpec = { tokens: 10, tokensPerSecond: TOKENS_PER_SECOND, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' };
  await context.load.run({
    kind: 'streams', url: target.url, headers: target.headers, dialect: target.dialect, http2: target.http2, model: formatStreamModel(spec),
    streamIdPrefix: `throughput-warmup-${name}`, expectedEvents: countEvents(spec), count: 100, concurrency: 50, rampMs: 200, streamTimeoutMs: 30_000,
  });
}

export async function runThroughput(context: BenchContext): Promise<ScenarioReport> {
  const levels = context.quick ? [200] : [100, 200, 400, 800];
  const rampMs = context.quick ? 500 : 1000;
  const settleMs = context.quick ? 300 : 500;
  const windowMs = context.quick ? 700 : 2000;
  const passes = context.quick ? 1 : 2;
  // The first stream opened must still be running when the window closes.
  const tokensPerStream = Math.ceil((TOKENS_PER_SECOND * (rampMs + settleMs + windowMs + 300)) / 1000);
  const lineup = await launchLineup(context, 'throughput');
  const running = new Map<TargetName, RunningTarget>();
  const launchFailures = new Map<TargetName, string>();
  for (const [name, started] of lineup) {
    if (started instanceof Error) launchFailures.set(name, started.message);
    else running.set(name, started);
  }
  const sections: string[] = [];
  const headlines: HeadlineMetric[] = [];
  try {
    for (const [name, target] of running) await warmUp(context, name, target);
    // Quick runs leave out the several-tokens-per-event ladder: the one-token ladder is the harder of the two.
    for (const tokensPerEvent of context.quick ? [1] : [1, 4]) {
      const spec: StreamSpec = { tokens: tokensPerStream, tokensPerSecond: TOKENS_PER_SECOND, tokensPerEvent, firstTokenDelayMs: 0, record: 'none' };
      const ladders = new Map<TargetName, TargetLadder>();
      for (const name of running.keys()) ladders.set(name, { rungs: [], bestEventsPerSecond: undefined, stopped: undefined });
      for (const streams of levels) {
        // Each target runs the rung `passes` times, in reverse order on the second pass, and keeps its
        // best pass: a burst of load from elsewhere, or a collection of the previous rung's garbage,
        // then fails a relay only if it strikes twice.
        const climbing = [...running].filter(([name]) => (ladders.get(name) as TargetLadder).stopped === undefined);
        const best = new Map<TargetName, Rung>();
        for (let pass = 0; pass < passes; pass++) {
          for (const [name, target] of pass % 2 === 0 ? climbing : [...climbing].reverse()) {
            context.progress(`throughput: ${tokensPerEvent} token(s)/event, ${streams} streams, pass ${pass + 1}/${passes}, ${name}`);
            const rung = await measureRung(context, name, target, { streams, spec, rampMs, settleMs, windowMs });
            const previous = best.get(name);
            if (previous === undefined || rankRung(rung) < rankRung(previous)) best.set(name, rung);
          }
        }
        const directLatency = best.get('direct')?.latency;
        for (const [name, rung] of best) {
          const ladder = ladders.get(name) as TargetLadder;
          rung.addedP99 = directLatency === undefined || name === 'direct' ? undefined : rung.latency.p99 - directLatency.p99;
          ladder.rungs.push(rung);
          if (rung.complete && (name === 'direct' || (rung.addedP99 ?? Number.POSITIVE_INFINITY) <= ADDED_P99_LIMIT_MS)) ladder.bestEventsPerSecond = rung.offeredEventsPerSecond;
          else ladder.stopped = rung.complete ? `added p99 ${formatMs(rung.addedP99)} ms at ${streams} streams` : `streams failed at ${streams} streams`;
        }
      }
      sections.push(renderVariant(tokensPerEvent, spec, ladders, launchFailures));
      const perEventLabel = tokensPerEvent === 1 ? '1 token/event' : `${tokensPerEvent} tokens/event`;
      headlines.push(
        {
          label: `events/s relayed at added p99 ≤ ${ADDED_P99_LIMIT_MS} ms (${perEventLabel}, highest rung ${formatCount(((levels.at(-1) ?? 0) * TOKENS_PER_SECOND) / tokensPerEvent)})`,
          lowerIsBetter: false,
          format: formatCount,
          values: Object.fromEntries([...ladders].flatMap(([name, ladder]) => (name === 'direct' || ladder.bestEventsPerSecond === undefined ? [] : [[name, ladder.bestEventsPerSecond]]))),
        },
        {
          label: `CPU µs per relayed event (${perEventLabel}, at ${formatCount(commonStreams(ladders))} streams, the highest rung every target ran)`,
          lowerIsBetter: true,
          format: (value) => value.toFixed(1),
          values: Object.fromEntries([...ladders].flatMap(([name, ladder]) => {
            const cpu = ladder.rungs.find((rung) => rung.streams === commonStreams(ladders))?.cpuUsPerEvent;
            return cpu === undefined ? [] : [[name, cpu]];
          })),
        },
      );
    }
  } finally {
    await stopLineup(lineup);
  }
  return {
    id: 'throughput',
    title: '2. Throughput',
    markdown: [
      `Each rung: N concurrent streams of ${tokensPerStream} tokens at ${TOKENS_PER_SECOND} tokens/s, opened evenly over ${rampMs / 1000} s, all targets in turn; ` +
        `measured in a ${windowMs / 1000} s window starting ${(rampMs + settleMs) / 1000} s in, while every stream is mid-flight. ` +
        (passes > 1 ? `Each target runs each rung ${passes} times (the second pass in reverse target order) and keeps its pass with the lowest p99, so one burst of load from elsewhere on the machine does not fail it. ` : '') +
        `A relay passes while its added p99 token latency stays ≤ ${ADDED_P99_LIMIT_MS} ms and every stream completes. ` +
        'CPU is the user+system time of the relay process (all its threads) in the window per upstream event relayed in it; "core" is that time over the window. ' +
        '"harness" is the same for the fake upstream and the load generator together: they share the two cores with the relay (and with whatever else runs on the machine), so the direct row shows where the harness itself saturates.',
      '',
      ...sections,
    ].join('\n'),
    headlines,
  };
}

/** The highest rung every target ran: CPU per event falls with load, so targets compare at one rung. */
function commonStreams(ladders: Map<TargetName, TargetLadder>): number {
  return Math.min(...[...ladders.values()].map((ladder) => ladder.rungs.at(-1)?.streams ?? 0));
}

function renderVariant(tokensPerEvent: number, spec: StreamSpec, ladders: Map<TargetName, TargetLadder>, launchFailures: Map<TargetName, string>): string {
  const rows: string[][] = [];
  for (const [name, ladder] of ladders) {
    for (const rung of ladder.rungs) {
      rows.push([
        name,
        formatCount(rung.streams),
        `${formatCount(rung.offeredEventsPerSecond)} / ${formatCount(rung.relayedEventsPerSecond)}`,
        `${formatMs(rung.latency.p50)} / ${formatMs(rung.latency.p99)}`,
        name === 'direct' ? '—' : formatMs(rung.addedP99),
        rung.cpuUsPerEvent === undefined ? '—' : rung.cpuUsPerEvent.toFixed(1),
        rung.coreShare === undefined ? '—' : `${(rung.coreShare * 100).toFixed(0)}%`,
        `${(rung.harnessCoreShare * 100).toFixed(0)}%`,
        rung.endings,
      ]);
    }
  }
  for (const [name, reason] of launchFailures) rows.push([name, `did not start: ${reason.slice(0, 80)}`, '', '', '', '', '', '', '']);
  const common = commonStreams(ladders);
  const summary = [...ladders].map(([name, ladder]) => {
    const cpu = ladder.rungs.find((rung) => rung.streams === common)?.cpuUsPerEvent;
    return [
      name,
      ladder.bestEventsPerSecond === undefined ? 'none' : formatCount(ladder.bestEventsPerSecond),
      ladder.stopped ?? 'passed every rung',
      cpu === undefined ? '—' : `${cpu.toFixed(1)} µs → ${formatCount(1_000_000 / cpu)} events/s per core`,
    ];
  });
  return [
    `#### ${tokensPerEvent === 1 ? 'One token per event' : `${tokensPerEvent} tokens per event`} (${formatStreamModel(spec)})`,
    '',
    formatTable(['target', 'streams', 'events/s offered / relayed', 'token latency p50 / p99 (ms)', 'added p99 (ms)', 'CPU µs/event', 'core', 'harness', 'complete'], rows),
    '',
    formatTable(['target', `events/s at added p99 ≤ ${ADDED_P99_LIMIT_MS} ms`, 'left the ladder', `CPU per event at ${formatCount(common)} streams → one core's capacity`], summary),
    '',
  ].join('\n');
}
