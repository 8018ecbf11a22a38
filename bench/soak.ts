/**
 * Soak: thousands of streams for minutes through one Sluice, with random cancels and stalls, then the
 * process's memory and open handles against what it held before. A leak shows as RSS or file
 * descriptors that do not come back down, or streams Sluice still counts as active.
 *
 * `npm run bench:soak` runs 2,000 streams for 10 minutes; `npm run bench:soak -- --minutes 1` a short one.
 * Flags: --streams N --minutes M --tokens T --tps R --cancel-share S --stall-share S --stall-ms MS.
 * It exits non-zero when a leak is found. The load runs in this process, the upstream in a forked one.
 */
import { readdirSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { settingDefinitions } from '../packages/server/src/server/config/settings.ts';
import { UpstreamProcess } from './harness.ts';
import { formatCount, formatMegabytes, formatTable } from './markdown.ts';
import { readMemoryStatus } from './proc-stats.ts';
import { formatStreamModel, formatStreamPrompt } from './stream-spec.ts';
import { targets } from './targets.ts';

const { values: flags } = parseArgs({
  options: {
    streams: { type: 'string', default: '2000' },
    minutes: { type: 'string', default: '10' },
    tokens: { type: 'string', default: '200' },
    tps: { type: 'string', default: '20' },
    'cancel-share': { type: 'string', default: '0.1' },
    'stall-share': { type: 'string', default: '0.1' },
    'stall-ms': { type: 'string', default: '5000' },
  },
});
const streams = Number(flags.streams);
const durationMs = Number(flags.minutes) * 60_000;
const cancelShare = Number(flags['cancel-share']);
const stallShare = Number(flags['stall-share']);
const stallMs = Number(flags['stall-ms']);
const model = formatStreamModel({ tokens: Number(flags.tokens), tokensPerSecond: Number(flags.tps), tokensPerEvent: 1, firstTokenDelayMs: 0, record: 'none' });

interface Tally {
  completed: number;
  cancelled: number;
  stalled: number;
  /** Refused with 503 `overloaded` (load shedding): the client may retry. */
  shed: number;
  failed: number;
}

const tally: Tally = { completed: 0, cancelled: 0, stalled: 0, shed: 0, failed: 0 };
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** One stream: read to its end, or cut it after a random number of reads, or stop reading for a while. */
function runStream(url: string, serial: number): Promise<void> {
  const roll = Math.random();
  const cancelAfterReads = roll < cancelShare ? 1 + Math.floor(Math.random() * 50) : undefined;
  const stallAfterReads = roll >= cancelShare && roll < cancelShare + stallShare ? 1 + Math.floor(Math.random() * 50) : undefined;
  const body = JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: formatStreamPrompt(`soak-${serial}`) }] });
  return new Promise((resolve) => {
    let backingOff = false;
    const request = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
      let reads = 0;
      let tail = '';
      response.on('data', (chunk: Buffer) => {
        reads += 1;
        tail = (tail + chunk.toString('latin1')).slice(-64);
        if (reads === cancelAfterReads) {
          tally.cancelled += 1;
          request.destroy();
        } else if (reads === stallAfterReads) {
          tally.stalled += 1;
          response.pause();
          setTimeout(() => response.resume(), stallMs);
        }
      });
      response.on('end', () => {
        if (response.statusCode === 503) {
          // A client that is shed waits as told before its next stream, as the SDKs do; a lane that came
          // straight back would turn one lag spike into thousands of refusals.
          tally.shed += 1;
          backingOff = true;
          const retryAfterSeconds = Number(response.headers['retry-after']);
          setTimeout(resolve, Number.isFinite(retryAfterSeconds) ? retryAfterSeconds * 1000 : 1000);
          return;
        }
        if (tail.includes('[DONE]')) tally.completed += 1;
        else if (cancelAfterReads === undefined) tally.failed += 1;
        resolve();
      });
      response.on('close', () => backingOff || resolve());
      response.on('error', () => backingOff || resolve());
    });
    request.on('error', () => {
      if (cancelAfterReads === undefined) tally.failed += 1;
      resolve();
    });
    request.end(body);
  });
}

interface Snapshot {
  rssBytes: number;
  fileDescriptors: number;
  activeStreams: number;
}

async function snapshot(pid: number, metricsUrl: string): Promise<Snapshot> {
  const metrics = await (await fetch(metricsUrl)).text();
  const activeStreams = [...metrics.matchAll(/^sluice_active_streams\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  return { rssBytes: readMemoryStatus(pid).rssBytes, fileDescriptors: readdirSync(`/proc/${pid}/fd`).length, activeStreams };
}

const upstream = await UpstreamProcess.start();
const sluiceTarget = targets.find((target) => target.name === 'sluice')!;
// The overload guard as it ships (the relay scenarios turn it off): a soak shows what it sheds.
const shippedLagGuard = settingDefinitions.maxEventLoopLagMs;
const sluice = await sluiceTarget.launch({ upstream, logFile: 'bench/results/soak-sluice.log', environment: { [shippedLagGuard.env]: String(shippedLagGuard.default) } });
const pid = sluice.pid!;
const metricsUrl = new URL('/metrics', sluice.url).href;
try {
  // Warm up, so that "before" is a process that has compiled its hot paths and grown its pools.
  let serial = 0;
  await Promise.all(Array.from({ length: 200 }, () => runStream(sluice.url, serial++)));
  await sleep(3000);
  const before = await snapshot(pid, metricsUrl);
  Object.assign(tally, { completed: 0, cancelled: 0, stalled: 0, shed: 0, failed: 0 });

  const endAt = performance.now() + durationMs;
  let peakRssBytes = before.rssBytes;
  const sampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, readMemoryStatus(pid).rssBytes);
  }, 1000);
  const progress = setInterval(() => process.stderr.write(`soak: ${JSON.stringify(tally)}, RSS ${formatMegabytes(readMemoryStatus(pid).rssBytes)}\n`), 30_000);
  await Promise.all(
    Array.from({ length: streams }, async (_, lane) => {
      // The first wave spreads over 5 s; then each lane opens its next stream when the last one ended.
      await sleep((lane / streams) * 5000);
      while (performance.now() < endAt) await runStream(sluice.url, serial++);
    }),
  );
  clearInterval(sampler);
  clearInterval(progress);
  agent.destroy();

  // Idle connections close on their own: the clients' after SLUICE_KEEP_ALIVE_TIMEOUT_MS, the upstream
  // pool's when the upstream's keep-alive hint says (undici takes the server's `keep-alive: timeout=60`
  // over its own 30 s, less a second). Wait that long for the handles to come back down.
  let after = await snapshot(pid, metricsUrl);
  for (let waited = 0; waited < 75_000 && (after.activeStreams > 0 || after.fileDescriptors > before.fileDescriptors + 10); waited += 1000) {
    await sleep(1000);
    after = await snapshot(pid, metricsUrl);
  }

  const leaks: string[] = [];
  if (tally.failed > 0) leaks.push(`${tally.failed} streams failed`);
  if (after.activeStreams > 0) leaks.push(`${after.activeStreams} streams still active`);
  // The metrics scrape itself holds a connection or two; anything more is a socket or file left open.
  // RSS is reported, not judged: V8 keeps the heap it grew to, and only a growing series says leak.
  if (after.fileDescriptors > before.fileDescriptors + 10) leaks.push(`${after.fileDescriptors - before.fileDescriptors} more file descriptors`);
  process.stdout.write(
    `Soak: ${formatCount(streams)} concurrent streams for ${flags.minutes} min (${flags.tokens} tokens at ${flags.tps}/s each, ` +
      `${cancelShare * 100}% cancelled, ${stallShare * 100}% stalled ${stallMs} ms)\n\n` +
      formatTable(
        ['', 'streams completed', 'cancelled', 'stalled', 'shed (503)', 'failed', 'RSS (MB)', 'file descriptors', 'active streams'],
        [
          ['before', '', '', '', '', '', formatMegabytes(before.rssBytes), String(before.fileDescriptors), String(before.activeStreams)],
          ['peak', '', '', '', '', '', formatMegabytes(peakRssBytes), '', ''],
          ['after', formatCount(tally.completed), formatCount(tally.cancelled), formatCount(tally.stalled), formatCount(tally.shed), formatCount(tally.failed), formatMegabytes(after.rssBytes), String(after.fileDescriptors), String(after.activeStreams)],
        ],
      ) +
      `\n\n${leaks.length === 0 ? 'No leak.' : `LEAK: ${leaks.join('; ')}`}\n`,
  );
  process.exitCode = leaks.length === 0 ? 0 : 1;
} finally {
  await sluice.stop();
  await upstream.stop();
}
