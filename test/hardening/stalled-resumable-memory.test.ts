/**
 * A resumable stream goes on generating while its reader stalls (that is its point), into its replay
 * log, which is bounded in parts (SLUICE_RESUME_LOG_ENTRIES) and in bytes (SLUICE_RESUME_LOG_BYTES):
 * 20 such streams of 2 MB answers (5,000 parts of 400 characters, under the parts bound) hold what the
 * byte bound says, not the whole answers.
 *
 * Sluice runs in this process and is measured after full garbage collections; the fake upstream and
 * the stalled clients run in another process so that their buffers are not counted.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startSluice } from '../../packages/server/src/server/start-sluice.ts';
import { liveBytes } from '../support/live-bytes.ts';
import { eventually } from '../support/sluice-harness.ts';


const streams = 20;
const partsPerStream = 5_000;
const tokensPerPart = 10;
const resumeLogBytes = 512 * 1024;


test(`${streams} resumable streams of 2 MB with stalled readers hold about their log's byte bound each`, async () => {
  const load = spawn(process.execPath, ['--conditions=sluice-source', new URL('../support/stalled-clients-process.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const replies = createInterface({ input: load.stdout })[Symbol.asyncIterator]();
  const nextReply = async (): Promise<Record<string, any>> => JSON.parse(String((await replies.next()).value));
  const { upstream } = await nextReply();
  const sluice = await startSluice({ port: 0, openaiBaseUrl: upstream, openaiApiKey: 'sk-test', sendTimeoutMs: 300_000, resumeLogBytes, resumeRetentionMs: 300_000, logLevel: 'silent' });
  try {
    const warm = await fetch(`${sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'warm', resumable: true }) });
    await warm.text();
    const baselineBytes = liveBytes();
    const tokens = Array.from({ length: partsPerStream * tokensPerPart }, (_, index) => `${String(index).padStart(38, 'w')} `);
    load.stdin.write(`${JSON.stringify({ sluice: sluice.url, clients: streams, scenario: { tokens, tokensPerEvent: tokensPerPart }, body: { resumable: true } })}\n`);
    const report = await nextReply();
    // The warm-up's few tokens count too.
    assert.ok(report.tokensSent >= streams * partsPerStream * tokensPerPart, 'every generation ran to its end while its reader stalled');
    const perStreamBytes = (liveBytes() - baselineBytes) / streams;
    console.log(`stalled resumable streams: ${Math.round(perStreamBytes / 1024)} KiB each (log bound ${resumeLogBytes / 1024} KiB)`);
    // The byte bound counts text and a fixed overhead per part; the client's socket buffers come on top.
    assert.ok(perStreamBytes < 2 * resumeLogBytes, `${Math.round(perStreamBytes / 1024)} KiB per stalled resumable stream`);
  } finally {
    load.stdin.end();
    await eventually(() => load.exitCode !== null, 'the load process to exit', 20_000);
    await sluice.close();
  }
});
