/**
 * A real browser's EventSource, in headless Chromium, reading GET /v1/chat/stream: a server-side
 * connection reset mid-answer makes it reconnect by itself with Last-Event-ID, and the page shows the
 * whole answer exactly once, from one generation.
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { longText } from './resume-checks.ts';

const chromiumPath = '/usr/bin/chromium';

/** A TCP relay in front of Sluice whose browser-side sockets can be reset (RST) at will. */
interface ResettingProxy {
  url: string;
  /** Resets every connection the browser has open; returns how many. */
  resetAll(): number;
  close(): Promise<void>;
}

async function startResettingProxy(targetPort: number): Promise<ResettingProxy> {
  const clientSockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    clientSockets.add(client);
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const forget = (): void => {
      clientSockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget).on('error', forget);
    upstream.on('close', forget).on('error', forget);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    resetAll() {
      const count = clientSockets.size;
      for (const socket of [...clientSockets]) socket.resetAndDestroy();
      return count;
    },
    async close() {
      for (const socket of clientSockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let harness: Harness;
let proxy: ResettingProxy;
let browser: Browser;

before(async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium)`);
  harness = await startHarness({ sseRetryMs: 200, resumeGraceMs: 5000, heartbeatMs: 60_000 });
  proxy = await startResettingProxy(harness.sluice.port);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await harness?.close();
});

test('an EventSource survives a server-side connection reset and shows the whole answer once', async () => {
  const text = longText(200);
  harness.fake.setScenario({ text, tokenIntervalMs: 8 });
  const page = await browser.newPage();
  // Any page of the same origin will do: the EventSource below is the whole client.
  await page.goto(`${proxy.url}/healthz`);
  await page.evaluate(() => {
    const state = { text: '', ids: [] as string[], reconnects: 0, done: false, error: '' };
    (globalThis as unknown as { answer: typeof state }).answer = state;
    const source = new EventSource('/v1/chat/stream?prompt=hello');
    source.addEventListener('token', (event) => {
      state.ids.push((event as MessageEvent).lastEventId);
      state.text += JSON.parse((event as MessageEvent).data).delta;
    });
    source.addEventListener('error', (event) => {
      if ((event as MessageEvent).data) state.error = (event as MessageEvent).data;
      else state.reconnects += 1;
    });
    source.addEventListener('done', () => {
      state.done = true;
      source.close();
    });
  });
  const answer = (): Promise<{ text: string; ids: string[]; reconnects: number; done: boolean; error: string }> =>
    page.evaluate(() => (globalThis as unknown as { answer: { text: string; ids: string[]; reconnects: number; done: boolean; error: string } }).answer);

  await page.waitForFunction((length) => (globalThis as unknown as { answer: { text: string } }).answer.text.length > length, text.length / 3);
  assert.ok(proxy.resetAll() >= 1, 'the stream connection was reset');
  await page.waitForFunction(() => (globalThis as unknown as { answer: { done: boolean } }).answer.done, undefined, { timeout: 15_000 });

  const shown = await answer();
  assert.equal(shown.error, '');
  assert.ok(shown.reconnects >= 1, 'the EventSource noticed the reset and reconnected');
  assert.equal(shown.text, text, 'the whole answer, once');
  const sequences = shown.ids.map((id) => Number(id.split(':')[1]));
  assert.ok(
    sequences.every((sequence, index) => index === 0 || sequence > sequences[index - 1]!),
    'event ids strictly increase across the reconnect',
  );
  assert.equal(harness.fake.requests.length, 1, 'one generation: the reconnect resumed it');
  const resumed = await harness.waitForLog((line) => line.msg === 'stream reader ended');
  assert.equal(resumed.outcome, 'completed');
  await page.close();
});
