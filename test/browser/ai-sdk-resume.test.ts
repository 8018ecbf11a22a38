/**
 * `useChat({ resume: true })` from `@ai-sdk/react` in headless Chromium: the page is reloaded in the
 * middle of an answer, and after the reload the same answer finishes on screen, from the one generation
 * that kept going on the server through the reload.
 */

import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { launchChromium } from '../support/launch-chromium.ts';
import { longText } from '../resume/resume-checks.ts';

describe('useChat({ resume: true }) across a reload', () => {
  let browser: Browser;
  let fake: FakeProvider;
  let sluice: SluiceInstance;
  let site: Server;
  let siteUrl: string;

  before(async () => {
    const bundle = await build({
      entryPoints: [new URL('./ai-sdk-resume/resume-page.tsx', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    });
    const script = bundle.outputFiles[0]!.text;
    fake = await startFakeProvider();
    sluice = await startSluice({ port: 0, host: '127.0.0.1', openaiBaseUrl: fake.url, openaiApiKey: 'test-key', logLevel: 'silent' });
    // The page and Sluice on one origin: the page's files here, everything under /v1 passed to Sluice.
    site = createServer((request, response) => {
      if (request.url === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><meta charset="utf-8"><title>resume</title><div id="root"></div><script type="module" src="/page.js"></script>');
      } else if (request.url === '/page.js') {
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        response.end(script);
      } else {
        const upstream = httpRequest(`${sluice.url}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        });
        upstream.on('error', () => response.destroy());
        response.on('close', () => upstream.destroy());
        request.pipe(upstream);
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((resolve) => site?.close(resolve));
    await sluice?.close();
    await fake?.close();
  });

  it('a reload mid-answer resumes the same generation, and the whole answer shows', async () => {
    const text = longText(80);
    fake.setScenario({ text, tokenIntervalMs: 15 });
    const requestsBefore = fake.requests.length;
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${siteUrl}/`);
    // On mount with nothing to resume the reconnect is answered 204 and the chat is ready.
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    await page.click('#send');
    await page.waitForFunction((length) => (document.getElementById('answer')?.textContent ?? '').length > length, text.length / 3);
    const before = (await page.textContent('#answer')) ?? '';
    assert.ok(before.length < text.length, 'the reload comes mid-answer');
    await page.reload();
    await page.waitForFunction((whole) => document.getElementById('answer')?.textContent === whole, text, { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    assert.equal(fake.requests.length - requestsBefore, 1, 'one generation, resumed, not asked again');
    assert.deepEqual(problems, []);
  });
});
