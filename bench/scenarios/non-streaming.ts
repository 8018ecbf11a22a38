/**
 * Scenario 6, non-streaming requests (`stream: false`): closed-loop workers at a few concurrencies.
 * Requests per second, end-to-end latency and what the relay adds to it, and CPU per request.
 */
import { measureJob } from '../harness.ts';
import type { RequestsResult } from '../load.ts';
import { formatCount, formatMs, formatTable } from '../markdown.ts';
import { quantilesOf, type Quantiles } from '../stats.ts';
import { formatStreamModel } from '../stream-spec.ts';
import type { TargetName } from '../targets.ts';
import { scenarioTargets, withTarget, type BenchContext, type ScenarioReport } from './context.ts';

const ADDED_LATENCY_LIMIT_MS = 1;

interface Level {
  concurrency: number;
  requestsPerSecond: number;
  latency: Quantiles;
  cpuUsPerRequest: number | undefined;
  failures: string;
}

export async function runNonStreaming(context: BenchContext): Promise<ScenarioReport> {
  const concurrencies = context.quick ? [8] : [1, 8, 32];
  const durationMs = context.quick ? 1000 : 3000;
  // All 50 tokens in one event: Sluice asks the upstream to stream even for `stream: false`, and must
  // not be paced by the fake upstream where the peers get one JSON body at once.
  const model = formatStreamModel({ tokens: 50, tokensPerSecond: 1_000_000, tokensPerEvent: 50, firstTokenDelayMs: 0, record: 'none' });
  const results = new Map<TargetName, Level[] | Error>();
  for (const target of scenarioTargets(context, 'non-streaming')) {
    // Sluice's events endpoint always streams.
    if (target.name === 'sluice-events') continue;
    context.progress(`non-streaming: ${target.name}`);
    results.set(target.name, await withTarget(context, target, 'non-streaming', {}, async (running) => {
      const levels: Level[] = [];
      for (const concurrency of concurrencies) {
        const { result, usage } = await measureJob<RequestsResult>(context.load, running.pid, {
          kind: 'requests', url: running.url, headers: running.headers,
        dialect: running.dialect, http2: running.http2, model, streamIdPrefix: `json-${target.name}-${concurrency}`,
          concurrency, warmupMs: context.quick ? 300 : 1000, durationMs,
        });
        const failures = Object.entries(result.failures).map(([reason, count]) => `${count} ${reason}`).join(', ');
        levels.push({
          concurrency,
          requestsPerSecond: (result.requests * 1000) / result.measuredMs,
          latency: quantilesOf(result.latencyMs),
          cpuUsPerRequest: usage === undefined || result.requestsIncludingWarmup === 0 ? undefined : (usage.cpuMs * 1000) / result.requestsIncludingWarmup,
          failures: failures === '' ? '0' : failures.slice(0, 80),
        });
      }
      return levels;
    }));
  }

  const direct = results.get('direct');
  const directLevels = direct instanceof Error ? undefined : direct;
  const addedAt = (level: Level, fraction: 'p50' | 'p99'): number | undefined => {
    const baseline = directLevels?.find((candidate) => candidate.concurrency === level.concurrency);
    return baseline === undefined ? undefined : level.latency[fraction] - baseline.latency[fraction];
  };
  const bestWithinLimit = (levels: Level[]): number | undefined => {
    const passing = levels.filter((level) => (addedAt(level, 'p50') ?? Number.POSITIVE_INFINITY) < ADDED_LATENCY_LIMIT_MS);
    return passing.length === 0 ? undefined : Math.max(...passing.map((level) => level.requestsPerSecond));
  };
  const rows: string[][] = [];
  for (const [name, levels] of results) {
    if (levels instanceof Error) {
      rows.push([name, `failed: ${levels.message.slice(0, 80)}`, '', '', '', '', '']);
      continue;
    }
    for (const level of levels) {
      rows.push([
        name,
        String(level.concurrency),
        formatCount(level.requestsPerSecond),
        `${formatMs(level.latency.p50)} / ${formatMs(level.latency.p99)}`,
        name === 'direct' ? '—' : `${formatMs(addedAt(level, 'p50'))} / ${formatMs(addedAt(level, 'p99'))}`,
        level.cpuUsPerRequest === undefined ? '—' : formatCount(level.cpuUsPerRequest),
        level.failures,
      ]);
    }
  }

  return {
    id: 'non-streaming',
    title: '6. Non-streaming requests',
    markdown: [
      `\`stream: false\`, a 50-token completion answered at once by the upstream. Closed loop: each of N workers sends its next request when the last one ended; ` +
        `${durationMs / 1000} s measured per concurrency after a warm-up. "added" is the target minus direct at the same concurrency.`,
      '',
      formatTable(['target', 'concurrency', 'requests/s', 'latency p50 / p99 (ms)', 'added p50 / p99 (ms)', 'CPU µs/request', 'failures'], rows),
    ].join('\n'),
    headlines: [
      {
        label: `non-streaming requests/s at added p50 < ${ADDED_LATENCY_LIMIT_MS} ms`,
        lowerIsBetter: false,
        format: formatCount,
        values: Object.fromEntries([...results].flatMap(([name, levels]) => {
          if (levels instanceof Error || name === 'direct') return [];
          const best = bestWithinLimit(levels);
          return best === undefined ? [] : [[name, best]];
        })),
      },
      {
        label: 'non-streaming CPU µs per request (concurrency 8)',
        lowerIsBetter: true,
        format: formatCount,
        values: Object.fromEntries([...results].flatMap(([name, levels]) => {
          if (levels instanceof Error || name === 'direct') return [];
          const value = levels.find((level) => level.concurrency === 8)?.cpuUsPerRequest;
          return value === undefined ? [] : [[name, value]];
        })),
      },
    ],
  };
}
