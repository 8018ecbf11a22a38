import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWebPage } from '../../packages/server/scripts/build-web.ts';
import { startSluice } from '../../packages/server/src/server/start-sluice.ts';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { launchChromium } from '../support/launch-chromium.ts';

const artifactsDirectory = new URL('../../test-artifacts/', import.meta.url).pathname;

type Sluice = Awaited<ReturnType<typeof startSluice>>;

describe('the chat page in headless Chromium', () => {
  let browser: Browser;
  let fake: FakeProvider;
  let sluice: Sluice;
  let demoSluice: Sluice;
  let proxy: CuttableProxy;

  before(async () => {
    await Promise.all([buildWebPage(), mkdir(artifactsDirectory, { recursive: true })]);
    fake = await startFakeProvider();
    sluice = await startSluice({ port: 0, host: '127.0.0.1', openaiBaseUrl: fake.url, openaiApiKey: 'test-key', logLevel: 'silent' });
    demoSluice = await startSluice({ port: 0, host: '127.0.0.1', demoTokensPerSecond: 400, demoFirstTokenDelayMs: 0, logLevel: 'silent' });
    const page = await fetch(`${sluice.url}/`);
    await page.body?.cancel();
    assert.equal(
      page.status,
      200,
      'GET / must serve the chat page: handleRequest calls serveWebPage (src/server/routes/web-page.ts) first',
    );
    proxy = await startCuttableProxy(sluice.port);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await Promise.all([sluice?.close(), demoSluice?.close()]);
    await fake?.close();
  });

  /** A fresh page (own context) that fails the test on any script error or dialog. */
  async function openChat(url: string): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    const response = await page.goto(`${url}/`);
    assert.equal(response?.status(), 200);
    return { page, problems };
  }

  async function ask(page: Page, prompt: string): Promise<void> {
    await page.getByLabel('Message').fill(prompt);
    await page.getByLabel('Message').press('Enter');
  }

  const assistant = (page: Page) => page.locator('[data-role=assistant]').last();

  it('streams an answer with a cursor, then shows time to first token, tokens per second and usage', async () => {
    // 150 ms a token keeps the answer streaming for about two seconds after "works": long enough for a
    // browser on a busy machine to see the cursor before the answer is done.
    fake.setScenario({ text: 'Streaming **works**: one token at a time, as the model writes them.', tokenIntervalMs: 150 });
    const { page, problems } = await openChat(sluice.url);
    await ask(page, 'Say something');
    // The cursor follows the streaming text: the last paragraph carries it while tokens arrive.
    await page.waitForFunction(() => {
      const paragraph = document.querySelector('.markdown.streaming > p:last-child');
      return (
        paragraph !== null && paragraph.textContent!.includes('works') && getComputedStyle(paragraph, '::after').display === 'inline-block'
      );
    });
    await page.locator('[data-role=assistant][data-finish-reason=stop]').waitFor();
    assert.equal(await assistant(page).locator('.markdown').innerText(), 'Streaming works: one token at a time, as the model writes them.');
    assert.equal(await page.locator('.markdown.streaming').count(), 0, 'no cursor once done');
    const stats = await assistant(page).getByTestId('stats').innerText();
    assert.match(stats, /first token \d+ ms/);
    assert.match(stats, /\d+\.\d tokens\/s/);
    assert.match(stats, /\d+ in \+ \d+ out = \d+ tokens/);
    assert.equal(await page.getByTestId('demo-label').count(), 0, 'a real upstream is not labelled as the demo');
    await page.screenshot({ path: `${artifactsDirectory}chat-page.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('closing the tab stops the model at once, without waiting out the resume grace period', async () => {
    fake.setScenario({ text: 'and on and on ', infinite: true, tokenIntervalMs: 15 });
    const { page } = await openChat(sluice.url);
    const requestIndex = fake.requests.length;
    await ask(page, 'Never stop');
    await page.locator('[data-role=assistant] .markdown').filter({ hasText: 'on and on and on' }).waitFor();
    const upstream = await fake.waitForRequest(requestIndex);
    const closedTabAt = performance.now();
    await page.context().close();
    const closedAt = await upstream.socketClosed;
    assert.ok(closedAt - closedTabAt < sluice.settings.resumeGraceMs / 2, `the upstream closed ${Math.round(closedAt - closedTabAt)} ms after the tab`);
  });

  it('Stop cancels the request and the upstream sees its connection close', async () => {
    fake.setScenario({ text: 'and on and on ', infinite: true, tokenIntervalMs: 15 });
    const { page, problems } = await openChat(sluice.url);
    const requestIndex = fake.requests.length;
    await ask(page, 'Never stop');
    await page.locator('[data-role=assistant] .markdown').filter({ hasText: 'on and on and on' }).waitFor();
    const upstream = await fake.waitForRequest(requestIndex);
    const clickedAt = performance.now();
    await page.getByRole('button', { name: 'Stop' }).click();
    const closedAt = await upstream.socketClosed;
    assert.ok(closedAt - clickedAt < 1000, `the upstream closed ${Math.round(closedAt - clickedAt)} ms after Stop`);
    await page.locator('[data-role=assistant][data-finish-reason=cancelled]').waitFor();
    assert.equal(await assistant(page).locator('.badge-stopped').innerText(), 'stopped');
    await page.getByRole('button', { name: 'Send' }).waitFor();
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('renders a half-open code fence while the answer is still streaming', async () => {
    // The upstream stops sending after the third token and holds the connection: the fence stays open.
    fake.setScenario({
      tokens: ['Here is code:\n\n', '```js\n', 'const answer = "<b>42</b>";\n', '```'],
      fault: { afterTokens: 3, kind: 'hang' },
    });
    const { page, problems } = await openChat(sluice.url);
    await ask(page, 'Show code');
    const code = page.locator('.markdown.streaming pre > code.language-js');
    await code.filter({ hasText: 'const answer' }).waitFor();
    assert.equal(await code.innerText(), 'const answer = "<b>42</b>";\n');
    assert.equal(
      await code.evaluate((element) => getComputedStyle(element, '::after').display),
      'inline-block',
      'the cursor sits in the open block',
    );
    assert.equal(await page.locator('.markdown b').count(), 0);
    await page.screenshot({ path: `${artifactsDirectory}chat-page-open-fence.png` });
    await page.getByRole('button', { name: 'Stop' }).click();
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('never runs HTML the model writes', async () => {
    fake.setScenario({
      text: [
        '<img src=x onerror="window.__pwned = 1; alert(1)">',
        '<script>window.__pwned = 2</script>',
        '<iframe src="javascript:alert(3)"></iframe>',
        '[click me](javascript:window.__pwned=4)',
        '![tracker](http://127.0.0.1:9/pixel.png)',
        '<a href="#" onclick="alert(5)">x</a>',
      ].join('\n\n'),
    });
    const { page, problems } = await openChat(sluice.url);
    await ask(page, 'Inject');
    await page.locator('[data-role=assistant][data-finish-reason=stop]').waitFor();
    const markdown = assistant(page).locator('.markdown');
    assert.equal(await markdown.locator('img, script, iframe, [onclick], [onerror]').count(), 0);
    assert.equal(await markdown.locator('a[href^="javascript"]').count(), 0);
    assert.match(await markdown.innerText(), /<script>window.__pwned = 2<\/script>/, 'the markup is shown as text');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('labels the built-in demo model', async () => {
    const { page, problems } = await openChat(demoSluice.url);
    await ask(page, 'Hello demo');
    await page.locator('[data-role=assistant][data-finish-reason=stop]').waitFor();
    assert.match(await page.getByTestId('demo-label').innerText(), /Demo model/);
    assert.match(await assistant(page).getByTestId('stats').innerText(), /^sluice-demo · /);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('survives a dropped connection: resumes after the last event and shows the whole answer once', async () => {
    const text = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');
    fake.setScenario({ text, tokenIntervalMs: 20 });
    const { page, problems } = await openChat(proxy.url);
    const requestIndex = fake.requests.length;
    await ask(page, 'Talk');
    await page.locator('[data-role=assistant] .markdown').filter({ hasText: 'word5 ' }).waitFor();
    proxy.cutAll();
    await page.getByTestId('reconnecting').waitFor();
    assert.match(await page.getByTestId('reconnecting').innerText(), /Reconnecting, attempt 1, resuming after event /);
    await page.locator('[data-role=assistant][data-finish-reason=stop]').waitFor();
    assert.equal(await assistant(page).locator('.markdown').innerText(), text, 'no gap and no repeat');
    assert.match(await assistant(page).getByTestId('stats').innerText(), /resumed after 1 dropped connection/);
    assert.equal(await page.getByTestId('reconnecting').count(), 0);
    assert.equal(fake.requests.length, requestIndex + 1, 'the question was asked upstream once');
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('shows an error plainly, keeps the conversation, and offers to try again', async () => {
    fake.setScenario({ status: 429, responseHeaders: { 'retry-after': '7' } });
    const { page, problems } = await openChat(sluice.url);
    await ask(page, 'Too fast');
    await page.getByTestId('error').waitFor();
    assert.match(await page.getByTestId('error').innerText(), /Too many requests \(rate_limited\)/);
    fake.setScenario({ text: 'Fine now.' });
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('[data-role=assistant][data-finish-reason=stop]').waitFor();
    assert.equal(await assistant(page).locator('.markdown').innerText(), 'Fine now.');
    assert.equal(await page.locator('[data-role=user]').count(), 1, 'trying again does not repeat the question');
    assert.equal(await page.getByTestId('error').count(), 0);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
