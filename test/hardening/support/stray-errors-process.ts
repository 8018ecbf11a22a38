/**
 * Run as its own process (the test runner handles uncaught errors itself): throws in three streams'
 * scopes and once outside any, with Sluice's handlers installed, then prints what happened as JSON.
 */

import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { containStrayErrors } from '../../../packages/server/src/server/observability/contain-stray-errors.ts';
import { createLogger } from '../../../packages/server/src/server/observability/logger.ts';
import { createMetrics } from '../../../packages/server/src/server/observability/metrics.ts';
import { runInStreamScope } from '../../../packages/server/src/server/relay/stream-scope.ts';

const lines: Record<string, unknown>[] = [];
const logger = createLogger('info', new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
    callback();
  },
}));
const metrics = createMetrics();
containStrayErrors(logger, metrics);
const ended: string[] = [];
runInStreamScope(() => ended.push('timer'), () => setTimeout(() => { throw new Error('timer bug'); }, 1));
runInStreamScope(() => ended.push('rejection'), () => void Promise.reject(new Error('rejection bug')));
runInStreamScope(() => ended.push('emitter'), () => setImmediate(() => new Writable().emit('error', new Error('emitter bug'))));
setTimeout(() => { throw new Error('outside any stream'); }, 2);
await sleep(50);
logger.flush();
await sleep(10);
process.stdout.write(JSON.stringify({
  ended: ended.sort(),
  metric: await metrics.registry.getSingleMetricAsString('sluice_stray_errors_total'),
  logged: lines.map((line) => ({ message: (line.err as { message: string }).message, endedStream: line.ended_stream })),
}));
