import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildWebPage } from '../../packages/server/scripts/build-web.ts';
import { serveWebPage, webPageContentSecurityPolicy } from '../../packages/server/src/server/routes/web-page.ts';

describe('serveWebPage', () => {
  let server: Server;
  let baseUrl: string;
  before(async () => {
    await buildWebPage();
    server = createServer((request, response) => {
      const pathname = new URL(request.url ?? '/', 'http://page.test').pathname;
      if (!serveWebPage(request, response, pathname)) response.writeHead(404).end('not mine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves the page and its files with their content types and a strict CSP', async () => {
    for (const [path, contentType, marker] of [
      ['/', 'text/html; charset=utf-8', '<div id="root">'],
      ['/index.html', 'text/html; charset=utf-8', '<script type="module" src="app.js">'],
      ['/app.js', 'text/javascript; charset=utf-8', 'sluice-markdown'],
      ['/app.css', 'text/css; charset=utf-8', '.cursor'],
    ] as const) {
      const response = await fetch(baseUrl + path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), contentType, path);
      assert.equal(response.headers.get('content-security-policy'), webPageContentSecurityPolicy, path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok((await response.text()).includes(marker), path);
    }
    assert.match(webPageContentSecurityPolicy, /script-src 'self';/);
    assert.doesNotMatch(webPageContentSecurityPolicy, /unsafe-inline|unsafe-eval/);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await fetch(`${baseUrl}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(`${baseUrl}/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
  });

  it('leaves every other path to the rest of the server', async () => {
    for (const path of ['/v1/chat/stream', '/app.js.LEGAL.txt', '/../package.json', '/favicon.ico']) {
      const response = await fetch(baseUrl + path);
      assert.equal(await response.text(), 'not mine', path);
    }
  });
});
