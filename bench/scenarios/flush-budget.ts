/**
 * Scenario 7, the flush budget: Sluice with `SLUICE_FLUSH_MS=0` and `=20`, over HTTP/1.1 and over h2
 * clients (with an h2 TLS upstream), beside both floors, under the same load: N streams of 50 tokens/s,
 * one token per event, measured in a steady-state window as in the throughput scenario. CPU per token
 * (the relay's user+system time in the window over the tokens relayed in it) and the added p99 token
 * latency against direct are the numbers; the budget trades the second for the first.
 */
import { formatCount, formatMs, formatTable } from '../markdown.ts';
import type { StreamSpec } from '../stream-spec.ts';
import type { TargetName } from '../targets.ts';
import { withTarget, type BenchContext, type HeadlineMetric, type ScenarioReport } from './context.ts';
import { measureRung, TOKENS_PER_SECOND, warmUp, type Rung } from './throughput.ts';

const BUDGET_MS = 20;

interface Variant {
  label: string;
  target: TargetName;
  flushMs?: number;
}

const variants: Variant[] = [
  { label: 'direct', target: 'direct' },
  { label: 'http-floor', target: 'http-floor' },
  { label: 'sluice', target: 'sluice', flushMs: 0 },
  { label: `sluice, SLUICE_FLUSH_MS=${BUDGET_MS}`, target: 'sluice', flushMs: BUDGET_MS },
  { label: 'h2-floor', target: 'h2-floor' },
  { label: 'sluice-h2', target: 'sluice-h2', flushMs: 0 },
  { label: `sluice-h2, SLUICE_FLUSH_MS=${BUDGET_MS}`, target: 'sluice-h2', flushMs: BUDGET_MS },
];

export async function runFlushBudget(context: BenchContext): Promise<ScenarioReport> {
  const streams = context.quick ? 100 : 200;
  const rampMs = context.quick ? 500 : 1000;
  const settleMs = context.quick ? 300 : 500;
  const windowMs = context.quick ? 700 : 2000;
  const tokens = Math.ceil((TOKENS_PER_SECOND * (rampMs + settleMs + windowMs + 300)) / 1000);
  const spec: StreamSpec = { tokens, tokensPerSecond: TOKENS_PER_SECOND, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' };
  const rungs = new Map<string, Rung | Error>();
  // Quick runs keep the baselines and the h2 pair, where the budget does what it can (the full run has all).
  const quickVariants = new Set(['direct', 'http-floor', 'sluice-h2', `sluice-h2, SLUICE_FLUSH_MS=${BUDGET_MS}`]);
  for (const variant of context.quick ? variants.filter((candidate) => quickVariants.has(candidate.label)) : variants) {
    const target = context.targets.find((candidate) => candidate.name === variant.target);
    if (target === undefined) continue;
    context.progress(`flush budget: ${variant.label}`);
    const environment: Record<string, string> = variant.flushMs === undefined ? {} : { SLUICE_FLUSH_MS: String(variant.flushMs) };
    rungs.set(variant.label, await withTarget(context, target, `flush-${variant.target}-${variant.flushMs ?? 0}`, { environment }, async (running) => {
      await warmUp(context, variant.target, running);
      return measureRung(context, variant.target, running, { streams, spec, rampMs, settleMs, windowMs });
    }));
  }
  const direct = rungs.get('direct');
  const directP99 = direct instanceof Error || direct === undefined ? undefined : direct.latency.p99;
  const floorCpu = (label: string): number | undefined => {
    const rung = rungs.get(label);
    return rung instanceof Error ? undefined : rung?.cpuUsPerEvent;
  };
  const http1FloorCpu = floorCpu('http-floor');
  const rows = [...rungs].map(([label, rung]) => {
    if (rung instanceof Error) return [label, `failed: ${rung.message.slice(0, 80)}`, '', '', '', '', ''];
    const added = directP99 === undefined || label === 'direct' ? undefined : rung.latency.p99 - directP99;
    const ratio = rung.cpuUsPerEvent === undefined || http1FloorCpu === undefined ? '—' : `${(rung.cpuUsPerEvent / http1FloorCpu).toFixed(2)}×`;
    return [
      label,
      formatCount(rung.relayedEventsPerSecond),
      `${formatMs(rung.latency.p50)} / ${formatMs(rung.latency.p99)}`,
      label === 'direct' ? '—' : formatMs(added),
      rung.cpuUsPerEvent === undefined ? '—' : rung.cpuUsPerEvent.toFixed(1),
      label === 'direct' ? '—' : ratio,
      rung.endings,
    ];
  });
  const budgeted = (label: string): HeadlineMetric['values'] => {
    const rung = rungs.get(label);
    return rung instanceof Error || rung?.cpuUsPerEvent === undefined ? {} : { [label.startsWith('sluice-h2') ? 'sluice-h2' : 'sluice']: rung.cpuUsPerEvent };
  };
  return {
    id: 'flush-budget',
    title: '7. Flush budget',
    markdown: [
      `${streams} concurrent streams of ${tokens} tokens at ${TOKENS_PER_SECOND} tokens/s, one token per event, opened over ${rampMs / 1000} s and measured in a ` +
        `${windowMs / 1000} s window starting ${(rampMs + settleMs) / 1000} s in; each row a fresh process. \`sluice-h2\` and \`h2-floor\` take their clients over cleartext h2 ` +
        'and their upstream over TLS h2; the others are HTTP/1.1 both ways. "vs HTTP/1.1 floor" is CPU per token over `http-floor`\'s in this run; "added p99" is the row\'s p99 token latency minus direct\'s.',
      '',
      formatTable(['target', 'tokens/s relayed', 'token latency p50 / p99 (ms)', 'added p99 (ms)', 'CPU µs/token', 'vs HTTP/1.1 floor', 'complete'], rows),
    ].join('\n'),
    headlines: [
      { label: `CPU µs per token with SLUICE_FLUSH_MS=${BUDGET_MS} (${streams} streams × ${TOKENS_PER_SECOND} tokens/s)`, lowerIsBetter: true, format: (value) => value.toFixed(1), values: { ...budgeted(`sluice, SLUICE_FLUSH_MS=${BUDGET_MS}`), ...budgeted(`sluice-h2, SLUICE_FLUSH_MS=${BUDGET_MS}`) } },
    ],
  };
}
