import { SluiceError } from '@sluice/protocol';
import { authorityOf, type HttpRequest } from './http-types.ts';
import { isOriginAllowed } from './is-origin-allowed.ts';

/**
 * A GET that starts a generation must come from what a browser cannot send cross-site without CORS.
 * An `<img>`, a link or a `fetch(..., { mode: 'no-cors' })` on another site can send a GET with no
 * header of its choosing, so its `Sec-Fetch-*` headers tell it apart: a browser marks a request from
 * another site (`Sec-Fetch-Site` other than `same-origin` or `none`) and only a CORS request
 * (`Sec-Fetch-Mode: cors`, which carries `Origin`) may pass, from an allowed origin (see
 * `isOriginAllowed`). A request without `Sec-Fetch-Site` is not a current browser's (curl, an SDK)
 * and passes unless it names a foreign `Origin`. Throws a 403 otherwise.
 */
export function checkCrossSiteGet(request: Pick<HttpRequest, 'headers'>, corsOrigins: readonly string[]): void {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  const host = authorityOf(request);
  if (origin !== undefined && !isOriginAllowed(origin, host, corsOrigins)) throw refused(`a page of ${JSON.stringify(origin)} may not start a generation here`);
  if (site === undefined || site === 'same-origin' || site === 'none') return;
  if (request.headers['sec-fetch-mode'] !== 'cors' || origin === undefined) {
    throw refused(`a ${site} ${request.headers['sec-fetch-dest'] ?? 'request'} without CORS may not start a generation; use EventSource or fetch from an allowed origin`);
  }
}

function refused(why: string): SluiceError {
  return new SluiceError('forbidden', `Refused: ${why}`);
}
