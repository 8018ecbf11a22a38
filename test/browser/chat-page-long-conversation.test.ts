/**
 * The chat page in a conversation several screens long, in headless Chromium: while it follows the
 * stream, the newest text, the "Reconnecting…" notice and the error notice with "Try again" are in the
 * viewport and not under the sticky input box (bounding boxes compared, and `elementFromPoint` at their
 * centre hits them); a reader who scrolled up to read is left where they are.
 */

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWebPage } from '../../packages/server/scripts/build-web.ts';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { launchChromium } from '../support/launch-chromium.ts';

const artifactsDirectory = new URL('../../test-artifacts/', import.meta.url).pathname;
const viewport = { width: 1000, height: 760 };
const earlierQuestions = 6;

/** An answer of ten paragraphs, about a screen of text. */
function longAnswer(label: string): string {
  return Array.from({ length: 10 }, (_, index) => `${label}, paragraph ${index + 1}: ${'streaming text that fills the page '.repeat(6)}`).join('\n\n');
}

/** `count` numbered tokens, one short paragraph each: `token-1`, `token-2`, ... */
function numberedTokens(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `token-${index + 1}${index % 4 === 3 ? '\n\n' : ' '}`);
}

/** Where a thing is on screen, and what the browser would hit at its centre. */
interface Placement {
  top: number;
  bottom: number;
  /** The top of the sticky box that holds the input box (the dock), and of the input box itself. */
  dockTop: number;
  composerTop: number;
  viewportHeight: number;
  /** True when `elementFromPoint` at the centre hits the thing or something inside it. */
  hitsItself: boolean;
  hit: string;
}

/** The placement of the last visible character of the streaming answer, or of the element `selector` names. */
function place(page: Page, target: 'newest text' | string): Promise<Placement> {
  return page.evaluate((what) => {
    let element: Element;
    let rect: DOMRect;
    if (what === 'newest text') {
      element = document.querySelector('.markdown.streaming')!;
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      let last: Text | undefined;
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) if (node.textContent!.trim() !== '') last = node as Text;
      const end = last!.textContent!.trimEnd().length;
      const range = document.createRange();
      range.setStart(last!, end - 1);
      range.setEnd(last!, end);
      rect = range.getBoundingClientRect();
    } else {
      element = document.querySelector(what)!;
      rect = element.getBoundingClientRect();
    }
    const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
    // The input box is the Message field's form; what sticks to the bottom is the sticky box around it.
    const composer = document.querySelector('textarea[aria-label=Message]')!.closest('form')!;
    let sticky: Element = composer;
    for (let box: Element | null = composer; box !== null; box = box.parentElement) if (getComputedStyle(box).position === 'sticky') sticky = box;
    return {
      top: rect.top,
      bottom: rect.bottom,
      dockTop: sticky.getBoundingClientRect().top,
      composerTop: composer.getBoundingClientRect().top,
      viewportHeight: window.innerHeight,
      hitsItself: hit !== null && element.contains(hit),
      hit: hit?.outerHTML.slice(0, 120) ?? 'nothing',
    };
  }, target);
}

/** In the viewport, above the dock (`above: 'dock'`, for text) or inside it but above the input box, and not covered. */
function assertVisible(placement: Placement, what: string, above: 'dock' | 'input box'): void {
  const detail = `${what}: ${JSON.stringify(placement)}`;
  assert.ok(placement.top >= 0 && placement.bottom <= placement.viewportHeight, `${what} is outside the viewport; ${detail}`);
  assert.ok(placement.bottom <= (above === 'dock' ? placement.dockTop : placement.composerTop) + 0.5, `${what} is under the ${above}; ${detail}`);
  assert.ok(placement.hitsItself, `${what} is covered by ${placement.hit}; ${detail}`);
}

describe('the chat page in a long conversation', () => {
  let browser: Browser;
  let fake: FakeProvider;
  let sluice: SluiceInstance;
  let proxy: CuttableProxy;

  before(async () => {
    await Promise.all([buildWebPage(), mkdir(artifactsDirectory, { recursive: true })]);
    fake = await startFakeProvider();
    sluice = await startSluice({ port: 0, host: '127.0.0.1', openaiBaseUrl: fake.url, openaiApiKey: 'test-key', logLevel: 'silent' });
    proxy = await startCuttableProxy(sluice.port);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await sluice?.close();
    await fake?.close();
  });

  /** A page with `earlierQuestions` questions answered, several screens long, scrolled to its end. */
  async function openLongConversation(url: string): Promise<{ page: Page; problems: string[] }> {
    const page = await (await browser.newContext({ viewport })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    assert.equal((await page.goto(`${url}/`))?.status(), 200);
    for (let index = 1; index <= earlierQuestions; index += 1) {
      fake.setScenario({ text: longAnswer(`Answer ${index}`) });
      await ask(page, `Question ${index}`);
      await page.locator(`[data-role=assistant][data-finish-reason=stop]`).nth(index - 1).waitFor();
    }
    const screens = await page.evaluate(() => document.documentElement.scrollHeight / window.innerHeight);
    assert.ok(screens > 5, `the conversation is ${screens.toFixed(1)} screens long`);
    return { page, problems };
  }

  async function ask(page: Page, prompt: string): Promise<void> {
    await page.getByLabel('Message').fill(prompt);
    await page.getByLabel('Message').press('Enter');
  }

  const streamingText = (page: Page) => page.locator('.markdown.streaming');

  it('follows a streaming answer: its newest line stays above the input box, screen after screen', async () => {
    const { page, problems } = await openLongConversation(sluice.url);
    // 240 tokens, then the upstream holds the stream open: the answer is still streaming, and still.
    fake.setScenario({ tokens: numberedTokens(260), tokenIntervalMs: 5, fault: { afterTokens: 240, kind: 'hang' } });
    await ask(page, 'Stream a long answer');
    await streamingText(page).filter({ hasText: /token-240\b/ }).waitFor();
    assertVisible(await place(page, 'newest text'), 'the newest streaming text', 'dock');
    assert.ok((await streamingText(page).boundingBox())!.height > viewport.height * 2, 'the answer grew by more than two screens while followed');
    await page.screenshot({ path: `${artifactsDirectory}chat-page-long-streaming.png` });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('[data-role=assistant][data-finish-reason=cancelled]').waitFor();
    assertVisible(await place(page, '[data-role=assistant]:last-of-type .message-footer'), 'the stopped answer’s footer', 'dock');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('leaves a reader who scrolled up where they are, and follows again from “Jump to the newest”', async () => {
    const { page, problems } = await openLongConversation(sluice.url);
    fake.setScenario({ tokens: numberedTokens(400), tokenIntervalMs: 10, fault: { afterTokens: 300, kind: 'hang' } });
    await ask(page, 'Stream while I read');
    await streamingText(page).filter({ hasText: /token-20\b/ }).waitFor();
    await page.mouse.move(viewport.width / 2, viewport.height / 3);
    await page.mouse.wheel(0, -1500);
    await page.getByTestId('jump-to-newest').waitFor();
    const readingAt = await page.evaluate(() => window.scrollY);
    const heightBefore = (await streamingText(page).boundingBox())!.height;
    await streamingText(page).filter({ hasText: /token-120\b/ }).waitFor();
    assert.ok((await streamingText(page).boundingBox())!.height > heightBefore + 100, 'the answer kept growing');
    assert.equal(await page.evaluate(() => window.scrollY), readingAt, 'the page did not move under the reader');
    await page.screenshot({ path: `${artifactsDirectory}chat-page-long-scrolled-up.png` });

    assertVisible(await place(page, '[data-testid=jump-to-newest]'), '“Jump to the newest”', 'input box');
    await page.getByTestId('jump-to-newest').click();
    await streamingText(page).filter({ hasText: /token-300\b/ }).waitFor();
    assertVisible(await place(page, 'newest text'), 'the newest streaming text after jumping', 'dock');
    assert.equal(await page.getByTestId('jump-to-newest').count(), 0);

    // Scrolling back down to the end by hand follows again too.
    await page.mouse.wheel(0, -600);
    await page.getByTestId('jump-to-newest').waitFor();
    await page.mouse.wheel(0, 100_000);
    await page.getByTestId('jump-to-newest').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Stop' }).click();
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('shows “Reconnecting…” above the input box, with the newest text above it, while the network is down', async () => {
    const { page, problems } = await openLongConversation(proxy.url);
    fake.setScenario({ tokens: numberedTokens(120), tokenIntervalMs: 10 });
    await ask(page, 'Stream through a bad network');
    await streamingText(page).filter({ hasText: /token-60\b/ }).waitFor();
    proxy.refuseNew(true);
    proxy.cutAll();
    await page.getByTestId('reconnecting').waitFor();
    assertVisible(await place(page, '[data-testid=reconnecting]'), 'the reconnecting notice', 'input box');
    assertVisible(await place(page, 'newest text'), 'the newest streaming text', 'dock');
    await page.screenshot({ path: `${artifactsDirectory}chat-page-long-reconnecting.png` });
    proxy.refuseNew(false);
    await page.locator('[data-role=assistant][data-finish-reason=stop]').nth(earlierQuestions).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('reconnecting').count(), 0);
    assertVisible(await place(page, '[data-role=assistant]:last-of-type .message-footer'), 'the resumed answer’s footer', 'dock');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('shows the error and “Try again” above the input box, wherever the reader has scrolled', async () => {
    const { page, problems } = await openLongConversation(sluice.url);
    fake.setScenario({ tokens: numberedTokens(120), tokenIntervalMs: 5, fault: { afterTokens: 50, kind: 'error-event' } });
    await ask(page, 'Fail half-way');
    await page.getByTestId('error').waitFor();
    assertVisible(await place(page, '[data-testid=error]'), 'the error notice', 'input box');
    assertVisible(await place(page, '[data-testid=error] button'), '“Try again”', 'input box');
    assertVisible(await place(page, '[data-role=assistant]:last-of-type .message-footer'), 'the interrupted answer’s footer', 'dock');
    await page.screenshot({ path: `${artifactsDirectory}chat-page-long-error.png` });

    await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
    assertVisible(await place(page, '[data-testid=error] button'), '“Try again” with the page scrolled to its top', 'input box');
    fake.setScenario({ text: 'Fine now.' });
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('[data-role=assistant][data-finish-reason=stop]').nth(earlierQuestions).waitFor();
    assertVisible(await place(page, '[data-role=assistant]:last-of-type .message-footer'), 'the answer tried again', 'dock');
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
