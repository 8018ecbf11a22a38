/**
 * The chat page's collection picker in headless Chromium, against a real Sluice with a collection: the
 * answer shows its sources, its [n] markers link to them, and the sources it cited are marked, all under
 * the page's strict CSP and Trusted Types.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWebPage } from '../../packages/server/scripts/build-web.ts';
import { requestJson } from '../rag/rag-support.ts';
import { launchChromium } from '../support/launch-chromium.ts';
import { startHarness, type Harness } from '../support/sluice-harness.ts';

const documents = [
  { id: 'tides', title: 'Tides of Velmar', text: 'The spring tide at Velmar harbour rises six metres.', metadata: { url: 'https://example.com/tides' } },
  { id: 'lamps', title: 'Lighthouse lamps', text: 'The Velmar lighthouse burns whale oil in winter.', metadata: { url: 'javascript:alert(1)' } },
  { id: 'fish', title: 'Fish market', text: 'Cod is sold at dawn on the quay of Velmar harbour.' },
];

describe('the chat page with a collection', () => {
  let browser: Browser;
  let harness: Harness;
  let directory: string;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-page-sources-'));
    await buildWebPage();
    harness = await startHarness({ retrievalSqlitePath: join(directory, 'retrieval.db'), logLevel: 'silent' });
    const upload = await requestJson(harness.sluice.url, 'POST', '/v1/collections/harbour/documents', { documents });
    assert.equal(upload.status, 200);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** A fresh page that records script errors and console errors (a CSP or Trusted Types violation is one). */
  async function openChat(): Promise<{ page: Page; problems: string[] }> {
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    assert.equal((await page.goto(`${harness.sluice.url}/`))?.status(), 200);
    return { page, problems };
  }

  async function ask(page: Page, prompt: string): Promise<void> {
    await page.getByLabel('Message').fill(prompt);
    await page.getByLabel('Message').press('Enter');
    await page.locator('[data-role=assistant][data-finish-reason=stop]').last().waitFor();
  }

  it('grounds the answer in the chosen collection, shows the sources, and links the citations to them', async () => {
    harness.fake.setScenario({ text: 'The tide rises six metres [1], and cod is sold at dawn [3].' });
    const { page, problems } = await openChat();
    const picker = page.getByTestId('collection-picker');
    await picker.locator('option[value=harbour]').waitFor({ state: 'attached' });
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ['the model alone', 'collection harbour']);
    await picker.selectOption('harbour');
    await ask(page, 'How high does the spring tide rise at Velmar harbour?');

    assert.match(harness.fake.requests.at(-1)!.body.messages.at(-1).content, /<source id="1" title="Tides of Velmar">/);
    const answer = page.locator('[data-role=assistant]').last();
    const sources = answer.getByTestId('sources').locator('li');
    assert.equal(await sources.count(), 3);
    const ids = await sources.evaluateAll((items) => items.map((item) => item.id));
    assert.equal(await sources.first().locator('.source-title').innerText(), 'Tides of Velmar');

    // Only an http(s) url in metadata becomes a link.
    const external = answer.getByTestId('sources').locator('a.source-title');
    assert.equal(await external.count(), 1);
    assert.equal(await external.getAttribute('href'), 'https://example.com/tides');
    assert.equal(await external.getAttribute('rel'), 'noopener noreferrer nofollow');

    assert.deepEqual(await sources.evaluateAll((items) => items.map((item) => item.getAttribute('data-cited'))), ['true', 'false', 'true']);
    const citations = answer.locator('.markdown a.citation');
    assert.deepEqual(await citations.allInnerTexts(), ['[1]', '[3]']);
    assert.deepEqual(await citations.evaluateAll((links) => links.map((link) => link.getAttribute('href'))), [`#${ids[0]}`, `#${ids[2]}`]);
    assert.equal(await citations.first().getAttribute('target'), null, 'a citation stays on the page');

    await citations.last().click();
    assert.equal(await page.evaluate(() => decodeURIComponent(location.hash)), `#${ids[2]}`);
    assert.equal(await sources.nth(2).evaluate((item) => item.matches(':target')), true);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it('answers from the model alone when no collection is chosen', async () => {
    harness.fake.setScenario({ text: 'Without sources [1].' });
    const { page, problems } = await openChat();
    await ask(page, 'How high does the spring tide rise?');
    assert.equal(harness.fake.requests.at(-1)!.body.messages.at(-1).content, 'How high does the spring tide rise?');
    const answer = page.locator('[data-role=assistant]').last();
    assert.equal(await answer.getByTestId('sources').count(), 0);
    assert.equal(await answer.locator('a.citation').count(), 0);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
