/**
 * `node bench/compare-cpu.ts <checkout>,<checkout>[,...] [--rounds 5] [--streams 200] [--per 1] [--target sluice]`:
 * CPU per relayed event of Sluice run from each checkout, in alternating rounds under the same load, for
 * the before and after of a hot-path change. A checkout is a directory holding Sluice, such as a worktree
 * of the commit before with its own dependencies (`git worktree add /tmp/before HEAD~1 && (cd /tmp/before
 * && npm ci --prefer-offline)`: a link to this checkout's node_modules would resolve `@sluice/*` to this
 * checkout's packages); `.` is this one. A floor's name in the list (`http-floor`, `http-floor-tls`,
 * `h2-floor`) runs that target instead. `--target` picks how Sluice is reached (`sluice`, `sluice-tls`,
 * `sluice-h2`).
 *
 * Each round starts the process fresh, warms it with 1,000 short streams, then runs `--streams` streams
 * of 300 tokens at 50 tokens/s at once and divides the process's CPU time over them by the events it
 * relayed. Alternating rounds spread the machine's noise over every checkout; the medians are the result.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoadProcess, measureJob, UpstreamProcess } from './harness.ts';
import type { StreamsResult } from './load.ts';
import { formatTable } from './markdown.ts';
import { quantilesOf } from './stats.ts';
import { countEvents, formatStreamModel, type StreamSpec } from './stream-spec.ts';
import { targets, type TargetDefinition } from './targets.ts';

const floors = new Set(['http-floor', 'http-floor-tls', 'h2-floor']);

function targetNamed(name: string): TargetDefinition {
  const target = targets.find((candidate) => candidate.name === name);
  if (target === undefined) throw new Error(`no target ${name}`);
  return target;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '5' },
      streams: { type: 'string', default: '200' },
      per: { type: 'string', default: '1' },
      target: { type: 'string', default: 'sluice' },
    },
  });
  const checkouts = (positionals[0] ?? '').split(',').filter((entry) => entry !== '');
  if (checkouts.length < 2) throw new Error('name at least two checkouts to compare, separated by commas (`.` is this one)');
  const spec: StreamSpec = { tokens: 300, tokensPerSecond: 50, tokensPerEvent: Number(values.per), firstTokenDelayMs: 0, record: 'none' };
  const warm: StreamSpec = { ...spec, tokens: 5, tokensPerSecond: 1000 };
  const streams = Number(values.streams);
  const logDirectory = fileURLToPath(new URL(`./results/compare-${Date.now()}`, import.meta.url));
  const microsecondsPerEvent = new Map<string, number[]>(checkouts.map((checkout) => [checkout, []]));
  const upstream = await UpstreamProcess.start();
  const load = LoadProcess.start();
  try {
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const [index, checkout] of checkouts.entries()) {
        const logFile = `${logDirectory}/${index}-${round}.log`;
        const running = floors.has(checkout)
          ? await targetNamed(checkout).launch({ upstream, logFile })
          : await targetNamed(values.target).launch({ upstream, logFile, checkout: resolve(checkout) });
        try {
          const { url, headers, dialect, http2, pid } = running;
          await load.run<StreamsResult>({
            kind: 'streams', url, headers, dialect, http2, model: formatStreamModel(warm), streamIdPrefix: 'compare-warm',
            expectedEvents: countEvents(warm), count: 1000, concurrency: 50, rampMs: 0, streamTimeoutMs: 60_000,
          });
          const { result, usage } = await measureJob<StreamsResult>(load, pid, {
            kind: 'streams', url, headers, dialect, http2, model: formatStreamModel(spec), streamIdPrefix: 'compare',
            expectedEvents: countEvents(spec), count: streams, concurrency: streams, rampMs: 1000, streamTimeoutMs: 60_000,
          });
          const events = result.outcomes.reduce((sum, outcome) => sum + outcome.events, 0);
          if (usage === undefined || events === 0) throw new Error(`${checkout}: nothing measured`);
          const perEvent = (usage.cpuMs * 1000) / events;
          microsecondsPerEvent.get(checkout)!.push(perEvent);
          console.error(`round ${round}, ${checkout}: ${perEvent.toFixed(1)} µs per event (${events} events)`);
        } finally {
          await running.stop();
        }
      }
    }
  } finally {
    await load.stop();
    await upstream.stop();
  }
  console.log(`${streams} streams × ${spec.tokens} tokens at ${spec.tokensPerSecond} tokens/s, ${spec.tokensPerEvent} per event; CPU µs per relayed event\n`);
  console.log(formatTable(['checkout', 'median', 'rounds'], checkouts.map((checkout) => {
    const values = microsecondsPerEvent.get(checkout)!;
    return [`\`${checkout}\``, quantilesOf(Float64Array.from(values)).p50.toFixed(1), values.map((value) => value.toFixed(1)).join(' / ')];
  })));
}

await main();
