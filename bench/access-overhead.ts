/**
 * What client keys and limits add to a request: the same one-token, non-streaming chat completion
 * against three Sluice processes: `off`, open (no keys); `keys`, a key with a budget (authenticated and
 * charged to SQLite, no Redis); `on`, a key with requests and tokens per minute counted in Redis on
 * loopback and a budget, so every request is authenticated, admitted with a reservation (one Redis
 * round trip) and settled. Rounds rotate the modes, since the machine is shared; the report gives each
 * round's p50/p99, the medians of the rounds, and Redis's own round trip (PING) as measured meanwhile.
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
const secrets = { off: 'sk-sluice-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', keys: createKey(budgetOnlyPath, budget), on: createKey(limitedPath, ['--rpm', '1000000000', '--tpm', '1000000000000', ...budget]) };
const model = formatStreamModel({ tokens: 1, tokensPerSecond: 1_000_000, tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' });

const redis = await startRedis();
const upstream = await UpstreamProcess.start();
const load = LoadProcess.start();
const logDirectory = join(folder, 'logs');
type Mode = 'off' | 'keys' | 'on';
const modes: Mode[] = ['off', 'keys', 'on'];
const launch = (mode: Mode, environment: Record<string, string>) => sluice.launch({ upstreamBaseUrl: upstream.baseUrl, logFile: join(logDirectory, `${mode}.log`), environment });
const running: Record<Mode, RunningTarget> = {
  off: await launch('off', { SLUICE_KEYS_SQLITE_PATH: join(folder, 'none.db') }),
  keys: await launch('keys', { SLUICE_KEYS_SQLITE_PATH: budgetOnlyPath }),
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
const results: Record<Mode, Round[]> = { off: [], keys: [], on: [] };
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
    process.stderr.write(`round ${round + 1}/${rounds}: p50 off ${formatMs(results.off.at(-1)!.p50)}, keys ${formatMs(results.keys.at(-1)!.p50)}, on ${formatMs(results.on.at(-1)!.p50)}; Redis PING ${formatMs(pings.at(-1))}\n`);
  }
} finally {
  pinger.disconnect();
  await Promise.all(modes.map((mode) => running[mode].stop()));
  await Promise.all([load.stop(), upstream.stop(), redis.stop()]);
  rmSync(folder, { recursive: true, force: true });
}

const quantiles = (round: Round) => `${formatMs(round.p50)} / ${formatMs(round.p99)}`;
const rows = results.off.map((off, index) => {
  const keys = results.keys[index]!;
  const on = results.on[index]!;
  return [
    String(index + 1),
    quantiles(off),
    quantiles(keys),
    quantiles(on),
    formatMs(keys.p50 - off.p50),
    formatMs(on.p50 - off.p50),
    (on.p50 / off.p50).toFixed(2),
    formatMs(pings[index]),
    `${off.cpuUsPerRequest.toFixed(0)} / ${keys.cpuUsPerRequest.toFixed(0)} / ${on.cpuUsPerRequest.toFixed(0)}`,
  ];
});
const medianOf = (mode: Mode, field: keyof Round) => median(results[mode].map((round) => round[field]));
const addedMedian = (mode: Mode) => median(results[mode].map((round, index) => round.p50 - results.off[index]!.p50));
rows.push([
  'median',
  `${formatMs(medianOf('off', 'p50'))} / ${formatMs(medianOf('off', 'p99'))}`,
  `${formatMs(medianOf('keys', 'p50'))} / ${formatMs(medianOf('keys', 'p99'))}`,
  `${formatMs(medianOf('on', 'p50'))} / ${formatMs(medianOf('on', 'p99'))}`,
  formatMs(addedMedian('keys')),
  formatMs(addedMedian('on')),
  median(results.on.map((on, index) => on.p50 / results.off[index]!.p50)).toFixed(2),
  formatMs(median(pings)),
  `${medianOf('off', 'cpuUsPerRequest').toFixed(0)} / ${medianOf('keys', 'cpuUsPerRequest').toFixed(0)} / ${medianOf('on', 'cpuUsPerRequest').toFixed(0)}`,
]);
process.stdout.write(
  `${formatTable(['round', 'off p50 / p99', 'keys p50 / p99', 'on p50 / p99', 'keys added p50', 'on added p50', 'on/off p50', 'Redis PING p50', 'CPU µs/request off / keys / on'], rows)}\n\n` +
    `${rounds} rounds of ${roundMs} ms per mode, concurrency ${concurrency}, one-token non-streaming chat completions, milliseconds. ` +
    'off: open; keys: a key with a token budget (SQLite); on: a key with rpm, tpm (Redis on loopback) and a token budget.\n',
);
