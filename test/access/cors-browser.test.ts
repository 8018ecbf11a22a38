/**
 * CORS from a real browser: headless Chromium on a page of another origin streams from Sluice through
 * the AI SDK's `useChat` (a preflighted POST with the key in `Authorization`) and through an
 * `EventSource` with a stream token, and reads the request id and rate-limit headers; a page of an
 * origin not allowed cannot. Then Sluice's own chat page asks for a key and streams with its session cookie.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { buildWebPage } from '../../packages/server/scripts/build-web.ts';
import { launchChromium } from '../support/launch-chromium.ts';
import { startAccessHarness, type AccessHarness, type CreatedKey } from './access-harness.ts';

interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves the test page and its script from an origin of its own. */
async function servePage(script: string): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><html><head><script type="module" src="/page.js"></script></head><body></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let harness: AccessHarness;
let key: CreatedKey;
let browser: Browser;
let allowed: PageServer;
let elsewhere: PageServer;
let bundleFolder: string;

before(async () => {
  bundleFolder = mkdtempSync(join(tmpdir(), 'sluice-cors-page-'));
  await Promise.all([
    buildWebPage(),
    build({
      entryPoints: [fileURLToPath(new URL('./cors-page/page.tsx', import.meta.url))],
      outfile: join(bundleFolder, 'page.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      jsx: 'automatic',
      conditions: ['sluice-source'],
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    }),
  ]);
  const { readFile } = await import('node:fs/promises');
  const script = await readFile(join(bundleFolder, 'page.js'), 'utf8');
  [allowed, elsewhere] = await Promise.all([servePage(script), servePage(script)]);
  harness = await startAccessHarness({ corsOrigins: [allowed.origin] });
  key = await harness.createKey({ name: 'browser app', rpm: 100 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await harness?.close();
  await Promise.all([allowed?.close(), elsewhere?.close()]);
  if (bundleFolder) rmSync(bundleFolder, { recursive: true, force: true });
});

async function openPage(origin: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'sluiceTest' in window);
  return { page, problems };
}

type Api = {
  useChatRun(run: { baseUrl: string; key: string; prompt: string }): Promise<{ text: string; error?: string }>;
  eventSourceRun(run: { baseUrl: string; key: string; prompt: string }): Promise<{ text: string; events: string[] }>;
  readHeaders(run: { baseUrl: string; key: string; prompt: string }): Promise<Record<string, string | null>>;
};

test('a page of an allowed origin streams through useChat and EventSource with a key, and reads the exposed headers', async () => {
  const { page, problems } = await openPage(allowed.origin);
  const run = { baseUrl: harness.sluice.url, key: key.key, prompt: 'hello' };
  harness.fake.setScenario({ text: 'Streamed across origins.', tokenIntervalMs: 5 });
  const chat = await page.evaluate((options) => (window as unknown as { sluiceTest: Api }).sluiceTest.useChatRun(options), run);
  assert.deepEqual(chat, { text: 'Streamed across origins.' });
  const preflight = harness.fake.requests.length;
  const events = await page.evaluate((options) => (window as unknown as { sluiceTest: Api }).sluiceTest.eventSourceRun(options), run);
  assert.equal(events.text, 'Streamed across origins.');
  assert.deepEqual([events.events[0], events.events.at(-1)], ['meta', 'done']);
  assert.equal(harness.fake.requests.length, preflight + 1, 'one generation for the EventSource');
  const headers = await page.evaluate((options) => (window as unknown as { sluiceTest: Api }).sluiceTest.readHeaders(options), run);
  assert.match(headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(headers['x-ratelimit-limit-requests'], '100');
  assert.match(headers['x-ratelimit-remaining-requests'] ?? '', /^\d+$/);
  assert.match(headers['x-ratelimit-reset-requests'] ?? '', /s$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a page of an origin that is not allowed gets nothing', async () => {
  const { page } = await openPage(elsewhere.origin);
  const upstreamBefore = harness.fake.requests.length;
  const outcome = await page.evaluate(async (options) => {
    try {
      await (window as unknown as { sluiceTest: Api }).sluiceTest.readHeaders(options);
      return 'read';
    } catch (error) {
      return (error as Error).name;
    }
  }, { baseUrl: harness.sluice.url, key: key.key, prompt: 'hello' });
  assert.equal(outcome, 'TypeError', 'the browser blocked it');
  assert.equal(harness.fake.requests.length, upstreamBefore, 'the preflight failed: the request was never sent');
  await page.close();
});

test('the chat page asks for a key, then streams with its session cookie', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  harness.fake.setScenario({ text: 'Signed in and streaming.', tokenIntervalMs: 5 });
  await page.goto(`${harness.sluice.url}/`);
  await page.getByLabel('Message').fill('hello');
  await page.getByLabel('Message').press('Enter');
  await page.getByTestId('key-form').waitFor();
  await page.getByLabel('Client key').fill('sk-sluice-not-a-real-key-at-all-000000');
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
  await page.getByLabel('Client key').fill(key.key);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.locator('[data-role=assistant][data-finish-reason=stop]').waitFor();
  assert.equal(await page.locator('[data-role=assistant] .markdown').last().innerText(), 'Signed in and streaming.');
  const cookies = await context.cookies();
  const session = cookies.find((cookie) => cookie.name === 'sluice_session');
  assert.ok(session?.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
  assert.ok(!session.value.includes(key.key), 'the cookie holds a token, not the key');
  assert.deepEqual(problems, []);
  await context.close();
});
