import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimatePartBytes } from '../../packages/server/src/pipeline/hub/estimate-part-bytes.ts';
import { StreamLog } from '../../packages/server/src/pipeline/hub/stream-log.ts';

test('a log of long parts keeps fewer than its entry bound once they pass its byte bound; a reader behind that gets gone', () => {
  const maxBytes = 64 * 1024;
  const log = new StreamLog(10_000, maxBytes);
  const part = { type: 'text-delta' as const, text: 'x'.repeat(1000) };
  for (let index = 0; index < 1000; index += 1) log.append(part);
  assert.throws(() => log.after(0, 10), /no longer kept/);
  let firstReadable = 0;
  while (firstReadable < log.lastSequence) {
    try {
      log.after(firstReadable, 1);
      break;
    } catch {
      firstReadable += 1;
    }
  }
  const keptBytes = log.after(firstReadable, 10_000).length * estimatePartBytes(part);
  assert.ok(keptBytes >= maxBytes - estimatePartBytes(part) && keptBytes <= maxBytes + maxBytes / 8, `${keptBytes} bytes kept`);
});

test('short parts are bounded by the entry count, as before', () => {
  const log = new StreamLog(100, 1_048_576);
  for (let index = 0; index < 1000; index += 1) log.append({ type: 'text-delta', text: 'a ' });
  assert.throws(() => log.after(800, 10), /no longer kept/);
  assert.equal(log.after(900, 1000).length, 100);
});
