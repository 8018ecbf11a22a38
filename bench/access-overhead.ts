/**
 * What client keys and limits add to a request: the same one-token, non-streaming chat completion
 * against four Sluice processes: `off`, open (no keys); `keys`, a key with a budget (authenticated and
 * charged to SQLite); `memory`, a key with requests and tokens per minute too, counted in memory (no
 * REDIS_URL); `on`, the same key with its counts in Redis on loopback, so every request is
 * authenticated, admitted with a reservation (one Redis round trip) and settled. Rounds rotate the
 * modes, since the machine is shared; the report gives each round's p50/p99, the medians of the
 * rounds, and Redis's own round trip (PING from this process) as measured meanwhile.
 *
 *   node --conditions=sluice-source bench/access-overhead.ts [--rounds 6] [--round-ms 3000] [--concurrency 1]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/start-redis.ts';
import { LoadProcess, measureJob, UpstreamProcess } from './harness.ts';
import type { RequestsResult } from './load.ts';
import { formatMs, formatTable } from './markdown.ts';
import { quantilesOf } from './stats.ts';
import { formatStreamModel } from './stream-spec.ts';
import { targets, type RunningTarget } from './targets.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, 'round-ms': { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '1' } } });
const rounds = Number(values.rounds);
const roundMs = Number(values['round-ms']);
const concurrency = Number(values.concurrency);

const sluice = targets.find((target) => target.name === 'sluice')!;
const folder = mkdtempSync(join(tmpdir(), 'sluice-access-bench-'));
const mainEntry = new URL('../packages/server/src/server/main.ts', import.meta.url).pathname;
/** A key in its own store, created with the CLI as a user would; its secret. */
function createKey(keysPath: string, flags: string[]): string {
  const command = ['--conditions=sluice-source', mainEntry, 'keys', 'create', '--name', 'bench', ...flags];
  return execFileSync(process.execPath, command, { env: { ...process.env, SLUICE_KEYS_SQLITE_PATH: keysPath }, stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
}
const budgetOnlyPath = join(folder, 'budget.db');
const limitedPath = join(folder, 'limited.db');
const budget = ['--budget-tokens', '1000000000000'];
const limited = createKey(limitedPath, ['--rpm', '1000000000', '--tpm', '1000000000000', ...budget]);
const secrets = { off: 'sk-sluice-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', keys: createKey(budgetOnlyPath, budget), memory: limited, on: limited };
const model = formatStreamModel({ tokens: 1, tokensPerSecond: 1_000_000, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' });

const redis = await startRedis();
const upstream = await UpstreamProcess.start();
const load = LoadProcess.start();
const logDirectory = join(folder, 'logs');
type Mode = 'off' | 'keys' | 'memory' | 'on';
const modes: Mode[] = ['off', 'keys', 'memory', 'on'];
const launch = (mode: Mode, environment: Record<string, string>) => sluice.launch({ upstream, logFile: join(logDirectory, `${mode}.log`), environment });
const running: Record<Mode, RunningTarget> = {
  off: await launch('off', { SLUICE_KEYS_SQLITE_PATH: join(folder, 'none.db') }),
  keys: await launch('keys', { SLUICE_KEYS_SQLITE_PATH: budgetOnlyPath }),
  memory: await launch('memory', { SLUICE_KEYS_SQLITE_PATH: limitedPath }),
  on: await launch('on', { SLUICE_KEYS_SQLITE_PATH: limitedPath, REDIS_URL: redis.url }),
};
const pinger = new Redis(redis.url);

/** Redis's round trip from Node right now: the floor of what a limited key's admission adds. */
async function pingMs(count: number): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedAt = performance.now();
    await pinger.ping();
    samples.push(performance.now() - startedAt);
  }
  return median(samples);
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Round {
  p50: number;
  p99: number;
  requests: number;
  cpuUsPerRequest: number;
}
const results: Record<Mode, Round[]> = { off: [], keys: [], memory: [], on: [] };
const pings: number[] = [];
try {
  for (let round = 0; round < rounds; round += 1) {
    // Each round starts with another mode: none always runs on a warmer or quieter machine.
    const order = modes.map((_, index) => modes[(index + round) % modes.length]!);
    for (const mode of order) {
      const target = running[mode];
      const { result, usage } = await measureJob<RequestsResult>(load, target.pid, {
        kind: 'requests',
        url: target.url,
        // A key header every way: the open instance ignores it, so only the checks differ.
        headers: { authorization: `Bearer ${secrets[mode]}` },
        dialect: 'openai',
        model,
        streamIdPrefix: `access-${mode}-${round}`,
        concurrency,
        warmupMs: round === 0 ? 2000 : 300,
        durationMs: roundMs,
      });
      const failures = Object.entries(result.failures);
      if (failures.length > 0) throw new Error(`${mode}: ${failures.map(([reason, count]) => `${count} ${reason}`).join(', ')}`);
      const latency = quantilesOf(result.latencyMs);
      results[mode].push({ p50: latency.p50, p99: latency.p99, requests: result.requests, cpuUsPerRequest: ((usage?.cpuMs ?? 0) * 1000) / result.requestsIncludingWarmup });
    }
    pings.push(await pingMs(500));
    const p50s = modes.map((mode) => `${mode} ${formatMs(results[mode].at(-1)!.p50)}`).join(', ');
    process.stderr.write(`round ${round + 1}/${rounds}: p50 ${p50s}; Redis PING ${formatMs(pings.at(-1))}\n`);
  }
} finally {
  pinger.disconnect();
  await Promise.all(modes.map((mode) => running[mode].stop()));
  await Promise.all([load.stop(), upstream.stop(), redis.stop()]);
  rmSync(folder, { recursive: true, force: true });
}

const quantiles = (round: Round) => `${formatMs(round.p50)} / ${formatMs(round.p99)}`;
const added = modes.slice(1);
const rows = results.off.map((off, index) => [
  String(index + 1),
  ...modes.map((mode) => quantiles(results[mode][index]!)),
  ...added.map((mode) => formatMs(results[mode][index]!.p50 - off.p50)),
  formatMs(pings[index]),
  modes.map((mode) => results[mode][index]!.cpuUsPerRequest.toFixed(0)).join(' / '),
]);
const medianOf = (mode: Mode, field: keyof Round) => median(results[mode].map((round) => round[field]));
rows.push([
  'median',
  ...modes.map((mode) => `${formatMs(medianOf(mode, 'p50'))} / ${formatMs(medianOf(mode, 'p99'))}`),
  ...added.map((mode) => formatMs(median(results[mode].map((round, index) => round.p50 - results.off[index]!.p50)))),
  formatMs(median(pings)),
  modes.map((mode) => medianOf(mode, 'cpuUsPerRequest').toFixed(0)).join(' / '),
]);
const headers = ['round', ...modes.map((mode) => `${mode} p50 / p99`), ...added.map((mode) => `${mode} added p50`), 'Redis PING p50', `CPU µs/request ${modes.join(' / ')}`];
process.stdout.write(
  `${formatTable(headers, rows)}\n\n` +
    `${rounds} rounds of ${roundMs} ms per mode, concurrency ${concurrency}, one-token non-streaming chat completions, milliseconds. ` +
    'off: open; keys: a key with a token budget (SQLite); memory: rpm and tpm too, counted in memory; on: the same counted in Redis on loopback.\n',
);
