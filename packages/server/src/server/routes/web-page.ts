import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '@sluice/protocol';
import { sendJsonError } from '../http/send-json.ts';

const webPageDirectory = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

const files: Record<string, { name: string; contentType: string }> = {
  '/': { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/index.html': { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/app.js': { name: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  '/app.css': { name: 'app.css', contentType: 'text/css; charset=utf-8' },
};

/**
 * Nothing but the page's own files may load or run, and model output is HTML only through the Markdown
 * renderer's Trusted Types policy (src/web/trusted-html.ts). Images are limited to the page itself, so
 * a model-written image URL could not leak data even if one were rendered.
 */
export const webPageContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types sluice-markdown',
].join('; ');

const securityHeaders = {
  'content-security-policy': webPageContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // The files change with every build and are small: revalidate rather than risk a stale page.
  'cache-control': 'no-cache',
};

/**
 * Serves the chat page (`GET /`) from dist/web. Returns false when `pathname` is not one of its files.
 * When the page has not been built yet it builds it once (a development checkout has esbuild); where it
 * cannot, it answers 503 saying to run `npm run build:web`.
 */
export function serveWebPage(request: HttpRequest, response: HttpResponse, pathname: string): boolean {
  const file = files[pathname];
  if (file === undefined) return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendJsonError(response, new SluiceError('method_not_allowed', `Method ${request.method} is not allowed on ${pathname}; use GET`), {
      allow: 'GET, HEAD',
    });
    return true;
  }
  sendFile(request, response, file).catch(() => {
    if (!response.headersSent) sendJsonError(response, new SluiceError('internal', 'The chat page could not be read'));
    else response.destroy();
  });
  return true;
}

async function sendFile(request: HttpRequest, response: HttpResponse, file: { name: string; contentType: string }): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(`${webPageDirectory}${file.name}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const built = await buildOnce();
    if (!built) {
      // Plain text: a person opening the page in a browser reads this.
      const message = 'The chat page is not built. Run `npm run build:web`, then reload.\n';
      response.writeHead(503, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(message),
        'cache-control': 'no-store',
      });
      response.end(message);
      return;
    }
    body = await readFile(`${webPageDirectory}${file.name}`);
  }
  response.writeHead(200, { ...securityHeaders, 'content-type': file.contentType, 'content-length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}

let building: Promise<boolean> | undefined;

/** The page's build script: in a checkout of the repository only, as an installed package ships the page built. */
const buildScriptUrl = new URL('../../../scripts/build-web.ts', import.meta.url).href;

/** One build for all the requests that find the page missing; false when this install cannot build (no esbuild). */
function buildOnce(): Promise<boolean> {
  building ??= (import(buildScriptUrl) as Promise<{ buildWebPage: () => Promise<unknown> }>)
    .then(({ buildWebPage }) => buildWebPage())
    .then(
      () => true,
      () => false,
    )
    .finally(() => {
      building = undefined;
    });
  return building;
}
