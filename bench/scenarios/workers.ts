/**
 * Scenario 8, every core: the throughput ladder (concurrent 50 tokens/s streams, one token per event)
 * for Sluice with `SLUICE_WORKERS=1` and `=2`, rung by rung. A configuration passes a rung while its
 * added p99 token latency stays within 5 ms and every stream completes; the headline is the events/s of
 * the highest rung passed, and CPU is that of the whole process tree (the primary and its workers). The
 * fake upstream and the load generator run on the same cores, so the harness's own share is shown.
 */
import { formatCount, formatMs, formatTable } from '../markdown.ts';
import type { StreamSpec } from '../stream-spec.ts';
import { withTarget, type BenchContext, type ScenarioReport } from './context.ts';
import { ADDED_P99_LIMIT_MS, measureRung, TOKENS_PER_SECOND, warmUp, type Rung } from './throughput.ts';

export async function runWorkers(context: BenchContext): Promise<ScenarioReport> {
  const levels = context.quick ? [200] : [200, 400, 800, 1200];
  const rampMs = context.quick ? 500 : 1000;
  const settleMs = context.quick ? 300 : 500;
  const windowMs = context.quick ? 700 : 2000;
  const tokens = Math.ceil((TOKENS_PER_SECOND * (rampMs + settleMs + windowMs + 300)) / 1000);
  const spec: StreamSpec = { tokens, tokensPerSecond: TOKENS_PER_SECOND, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' };
  const direct = context.targets.find((target) => target.name === 'direct');
  const sluice = context.targets.find((target) => target.name === 'sluice');
  const ladders = new Map<string, { rungs: Rung[]; best: number | undefined; stopped: string | undefined }>();
  const directP99 = new Map<number, number>();
  if (direct !== undefined) {
    await withTarget(context, direct, 'workers-direct', {}, async (running) => {
      for (const streams of levels) {
        context.progress(`workers: direct, ${streams} streams`);
        directP99.set(streams, (await measureRung(context, 'direct', running, { streams, spec, rampMs, settleMs, windowMs })).latency.p99);
      }
    });
  }
  for (const workers of [1, 2]) {
    if (sluice === undefined) break;
    const label = `SLUICE_WORKERS=${workers}`;
    const ladder: { rungs: Rung[]; best: number | undefined; stopped: string | undefined } = { rungs: [], best: undefined, stopped: undefined };
    ladders.set(label, ladder);
    const outcome = await withTarget(context, sluice, `workers-${workers}`, { environment: { SLUICE_WORKERS: String(workers) } }, async (running) => {
      await warmUp(context, 'sluice', running);
      for (const streams of levels) {
        context.progress(`workers: ${label}, ${streams} streams`);
        const rung = await measureRung(context, 'sluice', running, { streams, spec, rampMs, settleMs, windowMs });
        const baseline = directP99.get(streams);
        rung.addedP99 = baseline === undefined ? undefined : rung.latency.p99 - baseline;
        ladder.rungs.push(rung);
        if (rung.complete && (rung.addedP99 ?? Number.POSITIVE_INFINITY) <= ADDED_P99_LIMIT_MS) ladder.best = rung.offeredEventsPerSecond;
        else {
          ladder.stopped = rung.complete ? `added p99 ${formatMs(rung.addedP99)} ms at ${streams} streams` : `streams failed at ${streams} streams`;
          return;
        }
      }
    });
    if (outcome instanceof Error) ladder.stopped = `failed: ${outcome.message.slice(0, 80)}`;
  }
  const rows = [...ladders].flatMap(([label, ladder]) =>
    ladder.rungs.map((rung) => [
      label,
      formatCount(rung.streams),
      `${formatCount(rung.offeredEventsPerSecond)} / ${formatCount(rung.relayedEventsPerSecond)}`,
      `${formatMs(rung.latency.p50)} / ${formatMs(rung.latency.p99)}`,
      formatMs(rung.addedP99),
      rung.cpuUsPerEvent === undefined ? '—' : rung.cpuUsPerEvent.toFixed(1),
      rung.coreShare === undefined ? '—' : `${Math.round(rung.coreShare * 100)}%`,
      `${Math.round(rung.harnessCoreShare * 100)}%`,
      rung.endings,
    ]),
  );
  const one = ladders.get('SLUICE_WORKERS=1')?.best;
  const two = ladders.get('SLUICE_WORKERS=2')?.best;
  const summary = [...ladders].map(([label, ladder]) => [label, formatCount(ladder.best), ladder.stopped ?? 'passed every rung']);
  return {
    id: 'workers',
    title: '8. Every core: SLUICE_WORKERS',
    markdown: [
      `Each rung: N concurrent streams of ${tokens} tokens at ${TOKENS_PER_SECOND} tokens/s, opened over ${rampMs / 1000} s, measured in a ${windowMs / 1000} s window ` +
        `starting ${(rampMs + settleMs) / 1000} s in; "added p99" against direct at the same rung. CPU and "core" count the whole process tree (the primary and every worker); ` +
        '"harness" is the fake upstream and the load generator, which share the machine\'s cores with the workers.',
      '',
      formatTable(['workers', 'streams', 'events/s offered / relayed', 'token latency p50 / p99 (ms)', 'added p99 (ms)', 'CPU µs/event', 'core', 'harness', 'complete'], rows),
      '',
      formatTable(['workers', `events/s at added p99 ≤ ${ADDED_P99_LIMIT_MS} ms`, 'left the ladder'], summary),
      '',
      `Two workers against one: ${one === undefined || two === undefined ? '—' : `${(two / one).toFixed(2)}×`} the events/s.`,
    ].join('\n'),
    headlines: [],
  };
}
