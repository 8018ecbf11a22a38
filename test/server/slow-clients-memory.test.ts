/**
 * The documented memory bound per stream (README, "Memory per stream") holds with hundreds of stalled
 * clients on fast upstreams: Sluice stops reading each upstream once its bounded buffer is full, so
 * what a stalled stream holds does not grow with what the upstream could still send.
 *
 * Sluice runs in this process and is measured after full garbage collections; the fake upstream and
 * the clients run in another process so that their buffers are not counted.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startSluice } from '../../packages/server/src/server/start-sluice.ts';
import { liveBytes } from '../support/live-bytes.ts';
import { eventually } from '../support/sluice-harness.ts';


const stalledClients = 200;
/** The README's bound per stalled stream (measured about 370 KiB: see "Memory per stream" there). */
const boundBytesPerStream = 1024 * 1024;


test(`${stalledClients} stalled clients on fast upstreams hold under ${boundBytesPerStream / 1024} KiB of Sluice memory each`, async () => {
  const load = spawn(process.execPath, [new URL('../support/stalled-clients-process.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies = createInterface({ input: load.stdout })[Symbol.asyncIterator]();
  const nextReply = async (): Promise<Record<string, any>> => JSON.parse(String((await replies.next()).value));
  const { upstream } = await nextReply();
  const sluice = await startSluice({ port: 0, openaiBaseUrl: upstream, openaiApiKey: 'sk-test', sendTimeoutMs: 300_000, logLevel: 'silent' });
  try {
    const warm = await fetch(`${sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'warm' }) });
    await warm.text();
    const baselineBytes = liveBytes();
    load.stdin.write(`${JSON.stringify({ sluice: sluice.url, clients: stalledClients, scenario: { infinite: true, tokens: [`${'x'.repeat(4000)} `] } })}\n`);
    const report = await nextReply();
    assert.equal(report.settled, true, 'every upstream has stopped being read');
    assert.equal(sluice.activeStreams(), stalledClients, 'every stalled stream is still open');
    const perStreamBytes = (liveBytes() - baselineBytes) / stalledClients;
    assert.ok(perStreamBytes < boundBytesPerStream, `${Math.round(perStreamBytes / 1024)} KiB per stalled stream`);
  } finally {
    load.stdin.end();
    await eventually(() => load.exitCode !== null, 'the load process to exit', 20_000);
    await sluice.close();
  }
});
