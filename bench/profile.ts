/**
 * `node bench/profile.ts [--target sluice] [--streams 200] [--count N] [--per 1] [--seconds 6]`: runs a Node target
 * (Sluice by default) under `node --cpu-prof` with the throughput scenario's load (concurrent 50
 * tokens/s streams from the fake upstream), then prints the functions with the most self time and the
 * files they live in. `--count` above `--streams` runs that many streams in all, `--streams` at a time,
 * which with short streams profiles the per-request path. The .cpuprofile stays in bench/results/ for
 * Chrome DevTools or speedscope.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoadProcess, UpstreamProcess } from './harness.ts';
import type { StreamsResult } from './load.ts';
import { formatTable } from './markdown.ts';
import { countEvents, formatStreamModel, type StreamSpec } from './stream-spec.ts';
import { nodeTargetNames, targets } from './targets.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in microseconds per function and per file, from a V8 .cpuprofile. */
function summarizeProfile(profile: CpuProfile): { functions: Map<string, number>; files: Map<string, number>; totalUs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((nodeId, index) => {
    const node = byId.get(nodeId);
    const deltaUs = profile.timeDeltas[index] ?? 0;
    if (node === undefined) return;
    totalUs += deltaUs;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url === '' ? '(native or V8)' : url.replace(/^file:\/\/\/work\/main\//, '').replace(/^node:/, 'node:');
    const name = `${functionName === '' ? '(anonymous)' : functionName} ${url === '' ? '' : `${file}:${lineNumber + 1}`}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + deltaUs);
    files.set(file, (files.get(file) ?? 0) + deltaUs);
  });
  return { functions, files, totalUs };
}

function top(entries: Map<string, number>, totalUs: number, count: number): string[][] {
  return [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => [`\`${name}\``, `${(us / 1000).toFixed(0)}`, `${((100 * us) / totalUs).toFixed(1)}%`]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'sluice' },
      streams: { type: 'string', default: '200' },
      count: { type: 'string' },
      per: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '6' },
    },
  });
  const target = targets.find((candidate) => candidate.name === values.target);
  if (target === undefined || !nodeTargetNames.has(target.name)) throw new Error(`${values.target} is not a Node target`);
  const unavailable = target.unavailableReason();
  if (unavailable !== undefined) throw new Error(`${target.name} is not available: ${unavailable}`);
  const profileDirectory = fileURLToPath(new URL(`./results/profile-${Date.now()}`, import.meta.url));
  const upstream = await UpstreamProcess.start();
  const load = LoadProcess.start();
  const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`];
  // Sluice exits on SIGTERM by itself; the peers need a preload to exit normally and write the profile.
  if (!target.name.startsWith('sluice')) nodeFlags.push('--import', fileURLToPath(new URL('./exit-on-sigterm.ts', import.meta.url)));
  const count = Number(values.count ?? values.streams);
  const spec: StreamSpec = { tokens: Math.max(1, Math.round(50 * Number(values.seconds))), tokensPerSecond: 50, tokensPerEvent: Number(values.per), firstTokenDelayMs: 0, record: 'none' };
  try {
    const running = await target.launch({ upstream, logFile: `${profileDirectory}/${target.name}.log`, nodeFlags });
    try {
      const result = await load.run<StreamsResult>({
        kind: 'streams', url: running.url, headers: running.headers, dialect: running.dialect, http2: running.http2, model: formatStreamModel(spec), streamIdPrefix: 'profile',
        expectedEvents: countEvents(spec), count, concurrency: Number(values.streams), rampMs: 1000, streamTimeoutMs: 60_000,
      });
      const events = result.outcomes.reduce((sum, outcome) => sum + outcome.events, 0);
      console.log(`${count} streams (${Number(values.streams)} at a time) × ${spec.tokens} tokens at ${spec.tokensPerSecond} tokens/s, ${spec.tokensPerEvent} per event: ${events} events relayed.\n`);
    } finally {
      await running.stop();
    }
  } finally {
    await load.stop();
    await upstream.stop();
  }
  const file = readdirSync(profileDirectory).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${profileDirectory}`);
  const { functions, files, totalUs } = summarizeProfile(JSON.parse(readFileSync(`${profileDirectory}/${file}`, 'utf8')) as CpuProfile);
  console.log(`Profile: ${profileDirectory}/${file} (${(totalUs / 1000).toFixed(0)} ms sampled)\n`);
  console.log(formatTable(['function (self time)', 'ms', 'share'], top(functions, totalUs, 30)));
  console.log('');
  console.log(formatTable(['file (self time)', 'ms', 'share'], top(files, totalUs, 15)));
}

await main();
