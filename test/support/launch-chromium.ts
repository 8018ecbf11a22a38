import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const chromiumPath = '/usr/bin/chromium';

/** Debian's headless Chromium, driven by playwright-core; fails plainly when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
