/**
 * `node bench/heap-per-stream.ts [--target sluice] [--streams 1000]`: what one held stream keeps alive in a
 * Node target's JS heap. The target runs with `--heapsnapshot-signal`; after 300 short streams to warm it
 * up it writes a heap snapshot, then another while it holds `--streams` slow streams (one token at once,
 * then one every 5 s), and the difference between the two, divided by the streams held, is printed by
 * object type and constructor: bytes and objects per stream. V8 collects garbage before each snapshot, so
 * this is live memory, without the slack that RSS also counts.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LoadProcess, measureJob, UpstreamProcess } from './harness.ts';
import type { HoldResult, StreamsResult } from './load.ts';
import { formatTable } from './markdown.ts';
import { countEvents, formatStreamModel, type StreamSpec } from './stream-spec.ts';
import { nodeTargetNames, targets, type RunningTarget } from './targets.ts';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Objects and self bytes per "type: constructor" (strings by type only, their text is not a name). */
type HeapCensus = Map<string, { count: number; bytes: number }>;

function takeCensus(snapshot: HeapSnapshot): HeapCensus {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeField = fields.indexOf('type');
  const nameField = fields.indexOf('name');
  const sizeField = fields.indexOf('self_size');
  const census: HeapCensus = new Map();
  for (let offset = 0; offset < snapshot.nodes.length; offset += width) {
    const type = types[snapshot.nodes[offset + typeField]!]!;
    const name = type.endsWith('string') || type === 'number' ? '' : (snapshot.strings[snapshot.nodes[offset + nameField]!] ?? '').slice(0, 60);
    const key = name === '' ? type : `${type}: ${name}`;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snapshot.nodes[offset + sizeField]!;
    census.set(key, entry);
  }
  return census;
}

/** Signals the target to write a heap snapshot and reads it once the file stopped growing. */
async function snapshotOf(pid: number, directory: string): Promise<HeapCensus> {
  const before = new Set(readdirSync(directory));
  process.kill(pid, 'SIGUSR2');
  const deadline = performance.now() + 60_000;
  let file: string | undefined;
  let lastSize = -1;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    file ??= readdirSync(directory).find((name) => name.endsWith('.heapsnapshot') && !before.has(name));
    if (file === undefined) continue;
    const size = statSync(`${directory}/${file}`).size;
    if (size > 0 && size === lastSize) return takeCensus(JSON.parse(readFileSync(`${directory}/${file}`, 'utf8')) as HeapSnapshot);
    lastSize = size;
  }
  throw new Error(`no complete heap snapshot in ${directory} after 60 s`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { target: { type: 'string', default: 'sluice' }, streams: { type: 'string', default: '1000' } } });
  const target = targets.find((candidate) => candidate.name === values.target);
  if (target === undefined || !nodeTargetNames.has(target.name)) throw new Error(`${values.target} is not a Node target`);
  const streams = Number(values.streams);
  const directory = fileURLToPath(new URL(`./results/heap-${Date.now()}`, import.meta.url));
  mkdirSync(directory, { recursive: true });
  const upstream = await UpstreamProcess.start();
  const load = LoadProcess.start();
  let running: RunningTarget | undefined;
  try {
    running = await target.launch({
      upstream,
      logFile: `${directory}/${target.name}.log`,
      nodeFlags: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${directory}`],
    });
    const { url, headers, dialect, http2, pid } = running;
    if (pid === undefined) throw new Error(`${target.name} has no process id`);
    const warm: StreamSpec = { tokens: 3, tokensPerSecond: 1000, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' };
    await load.run<StreamsResult>({
      kind: 'streams', url, headers, dialect, http2, model: formatStreamModel(warm), streamIdPrefix: 'heap-warm',
      expectedEvents: countEvents(warm), count: 300, concurrency: 20, rampMs: 0, streamTimeoutMs: 10_000,
    });
    const idle = await snapshotOf(pid, directory);
    let held: Promise<HeapCensus> | undefined;
    const slow: StreamSpec = { tokens: 1000, tokensPerSecond: 0.2, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' };
    const { result } = await measureJob<HoldResult>(
      load,
      pid,
      { kind: 'hold', url, headers, dialect, http2, model: formatStreamModel(slow), streamIdPrefix: 'heap-hold', count: streams, openPerSecond: 1000, openTimeoutMs: 10_000, holdMs: 3_000 },
      (label) => {
        if (label === 'held') held = snapshotOf(pid, directory);
      },
    );
    if (held === undefined) throw new Error('the load generator never reported its streams held');
    const holding = await held;
    if (result.live === 0) throw new Error(`no stream was live: ${JSON.stringify(result.endings)}`);
    const rows = [...holding]
      .map(([key, entry]) => {
        const before = idle.get(key) ?? { count: 0, bytes: 0 };
        return { key, bytes: (entry.bytes - before.bytes) / result.live, count: (entry.count - before.count) / result.live };
      })
      .sort((a, b) => b.bytes - a.bytes);
    const totalBytes = rows.reduce((sum, row) => sum + row.bytes, 0);
    const totalObjects = rows.reduce((sum, row) => sum + row.count, 0);
    console.log(`${target.name}: ${result.live} streams held; live JS heap per stream ${(totalBytes / 1000).toFixed(1)} KB in ${totalObjects.toFixed(0)} objects\n`);
    console.log(formatTable(['type: constructor', 'bytes per stream', 'objects per stream'], rows.slice(0, 30).map((row) => [`\`${row.key}\``, row.bytes.toFixed(0), row.count.toFixed(2)])));
    console.log(`\nSnapshots and the target's log: ${directory}`);
  } finally {
    await running?.stop();
    await load.stop();
    await upstream.stop();
  }
}

await main();
