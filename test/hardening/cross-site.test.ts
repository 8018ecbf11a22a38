/**
 * A GET that starts a generation needs what a browser cannot send cross-site without CORS, and an
 * optional Host list stops DNS rebinding. Checked with the headers browsers send, and with a real
 * Chromium on another site.
 */

import assert from 'node:assert/strict';
import { connect as connectHttp2 } from 'node:http2';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startHarness, type Harness } from '../support/sluice-harness.ts';

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('GET streams and cross-site requests', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  const crossSite = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };
  const refusedCases: [string, Record<string, string>][] = [
    ['an <img> on another site', { ...crossSite, 'sec-fetch-dest': 'image' }],
    ["another site's fetch with mode: 'no-cors'", { ...crossSite, 'sec-fetch-dest': 'empty' }],
    ['a page of the same site on another port, without CORS', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }],
    ["another site's EventSource (CORS) from an origin not allowed", { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', origin: 'https://evil.example' }],
    ['a client without fetch metadata naming a foreign Origin', { origin: 'https://evil.example' }],
  ];
  for (const path of ['/v1/chat/stream', '/v1/chat/text']) {
    for (const [name, headers] of refusedCases) {
      test(`${path}: ${name} is refused with 403 before anything reaches the upstream`, async () => {
        const before = harness.fake.requests.length;
        const response = await get(`${harness.sluice.url}${path}?prompt=inject`, headers);
        assert.equal(response.status, 403, response.body);
        assert.match(JSON.parse(response.body).error.message, /^Refused: /);
        assert.equal(harness.fake.requests.length, before);
      });
    }
    for (const [name, headers] of [
      ["Sluice's own page (an EventSource of the same origin)", { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }],
      ['a URL typed into the address bar', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
      ['curl', {}],
    ] as const) {
      test(`${path}: ${name} streams the answer`, async () => {
        const response = await get(`${harness.sluice.url}${path}?prompt=hello`, headers);
        assert.equal(response.status, 200, response.body);
        assert.match(response.body, path === '/v1/chat/text' ? /^Hello from the fake provider\.$/ : /event: done\ndata: {"type":"done","finish_reason":"stop"}/);
      });
    }
  }

  test('a resume by GET starts nothing, so it is not refused', async () => {
    const response = await get(`${harness.sluice.url}/v1/chat/stream?last_event_id=unknown:3`, { ...crossSite, 'sec-fetch-dest': 'image' });
    assert.equal(response.status, 404, response.body);
  });
});

describe('a real browser on another site', () => {
  let harness: Harness;
  let attacker: Server;
  let attackerUrl: string;
  before(async () => {
    harness = await startHarness();
    const target = `${harness.sluice.url}/v1/chat/stream?prompt=${encodeURIComponent('cite the injected document')}`;
    const page = `<!doctype html><img src="${target}"><script>fetch(${JSON.stringify(target)}, { mode: 'no-cors' }).then(() => document.title = 'sent', () => document.title = 'failed');</script>`;
    attacker = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    // localhost and 127.0.0.1 are different sites to a browser.
    attackerUrl = `http://localhost:${(attacker.address() as { port: number }).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => attacker.close(resolve));
    await harness.close();
  });

  test("an <img> and a no-cors fetch on the attacker's page start no generation; Sluice's own page's EventSource does", async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(attackerUrl);
      await page.waitForFunction(() => document.title !== '');
      assert.equal(harness.fake.requests.length, 0, 'the cross-site requests reached the upstream');
      await page.goto(`${harness.sluice.url}/healthz`);
      const text = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const source = new EventSource('/v1/chat/stream?prompt=hello');
            let answer = '';
            source.addEventListener('token', (event) => (answer += JSON.parse((event as MessageEvent).data).delta));
            source.addEventListener('done', () => {
              source.close();
              resolve(answer);
            });
          }),
      );
      assert.equal(text, 'Hello from the fake provider.');
    } finally {
      await browser.close();
    }
  });
});

describe('a GET from an origin of SLUICE_CORS_ORIGINS', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ corsOrigins: ['https://app.example'] });
  });
  after(() => harness.close());

  test("another site's EventSource (CORS) from an allowed origin streams; from another origin it is refused", async () => {
    const cors = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
    const allowed = await get(`${harness.sluice.url}/v1/chat/stream?prompt=hi`, { ...cors, origin: 'https://app.example' });
    assert.equal(allowed.status, 200, allowed.body);
    assert.match(allowed.body, /event: done/);
    const other = await get(`${harness.sluice.url}/v1/chat/stream?prompt=hi`, { ...cors, origin: 'https://evil.example' });
    assert.equal(other.status, 403);
    const noCors = await get(`${harness.sluice.url}/v1/chat/stream?prompt=hi`, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' });
    assert.equal(noCors.status, 403, 'an allowed list does not let an <img> in');
  });
});

describe('SLUICE_ALLOWED_HOSTS', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ allowedHosts: ['sluice.example', '127.0.0.1'] });
  });
  after(() => harness.close());

  test('a Host not on the list (a rebound DNS name) gets 403; listed ones on any port are served; probes answer any Host', async () => {
    const port = harness.sluice.port;
    const rebound = await get(`${harness.sluice.url}/v1/chat/stream?prompt=hi`, { host: `attacker.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /SLUICE_ALLOWED_HOSTS/);
    assert.equal((await get(`${harness.sluice.url}/v1/collections`, { host: 'attacker.example' })).status, 403);
    assert.equal((await get(`${harness.sluice.url}/v1/chat/stream?prompt=hi`, { host: `sluice.example:${port}` })).status, 200);
    assert.equal((await get(`${harness.sluice.url}/v1/collections`, { host: `127.0.0.1:${port}` })).status, 200);
    assert.equal((await get(`${harness.sluice.url}/healthz`, { host: 'attacker.example' })).status, 200);
    assert.equal((await get(`${harness.sluice.url}/readyz`, { host: '10.1.2.3:8787' })).status, 200);
  });

  test("over h2 the host is the request's :authority", async () => {
    const session = connectHttp2(harness.sluice.url);
    try {
      const statusFor = (authority: string) =>
        new Promise<number>((resolve, reject) => {
          const stream = session.request({ ':path': '/v1/collections', ':authority': authority });
          stream.on('response', (headers) => resolve(Number(headers[':status'])));
          stream.on('error', reject);
          stream.resume();
        });
      assert.equal(await statusFor(`attacker.example:${harness.sluice.port}`), 403);
      assert.equal(await statusFor(`sluice.example:${harness.sluice.port}`), 200);
    } finally {
      session.close();
    }
  });
});
