/** An error nothing caught ends the stream whose code threw it, is logged and counted, and the process goes on. */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

test('a throw in a timer, an emitter without an error listener and a stray rejection each end only their own stream', async () => {
  const script = fileURLToPath(new URL('./support/stray-errors-process.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=sluice-source', script]);
  const result = JSON.parse(stdout) as { ended: string[]; metric: string; logged: { message: string; endedStream: boolean }[] };
  assert.deepEqual(result.ended, ['emitter', 'rejection', 'timer']);
  assert.match(result.metric, /scope="stream",origin="exception"} 2/);
  assert.match(result.metric, /scope="stream",origin="rejection"} 1/);
  assert.match(result.metric, /scope="process",origin="exception"} 1/);
  assert.deepEqual(result.logged.sort((a, b) => a.message.localeCompare(b.message)), [
    { message: 'emitter bug', endedStream: true },
    { message: 'outside any stream', endedStream: false },
    { message: 'rejection bug', endedStream: true },
    { message: 'timer bug', endedStream: true },
  ]);
});
