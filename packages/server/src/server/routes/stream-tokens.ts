import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { z } from 'zod';
import type { AccessControl } from '../access/access-control.ts';
import { readCredential, sessionCookieName } from '../access/read-credential.ts';
import type { Settings } from '../config/settings.ts';
import { parseRequest } from '../dialects/request-validation.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { sendJson } from '../http/send-json.ts';

export interface StreamTokenServices {
  settings: Settings;
  access: AccessControl;
}

const bodySchema = z.strictObject({ cookie: z.boolean().optional() });

/**
 * `POST /v1/stream-tokens` with a client key: a short-lived token standing for that key, for an
 * `EventSource` URL (`?stream_token=`), which cannot carry headers. With `{"cookie": true}` (what the
 * chat page sends) the token also comes as an HttpOnly, SameSite=Strict session cookie that lasts
 * SLUICE_SESSION_TTL_MS. Only a key issues tokens: a token cannot renew itself.
 */
export async function postStreamToken(services: StreamTokenServices, request: HttpRequest, response: HttpResponse, url: URL, requestId: string): Promise<void> {
  const key = services.access.keyOf(response);
  if (key === undefined) throw new SluiceError('bad_request', 'Sluice runs open (no client keys): requests need no stream token');
  if (readCredential(request, url)?.kind !== 'key') {
    throw new SluiceError('forbidden', 'Only a client key issues stream tokens; send it as "Authorization: Bearer sk-sluice-…"');
  }
  const { cookie } = hasBody(request) ? parseRequest(bodySchema, await readJsonBody(request, services.settings.maxBodyBytes)) : { cookie: undefined };
  const ttlMs = cookie === true ? services.settings.sessionTtlMs : services.settings.streamTokenTtlMs;
  const { token, expiresAt } = services.access.streamTokens.issue(key.id, ttlMs);
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (cookie === true) {
    const secure = (request.socket as { encrypted?: boolean }).encrypted === true || request.headers['x-forwarded-proto'] === 'https';
    headers['set-cookie'] = `${sessionCookieName}=${token}; Path=/; Max-Age=${Math.floor(ttlMs / 1000)}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
  sendJson(response, 201, { object: 'stream_token', token, key_id: key.id, expires_at: expiresAt.toISOString() }, headers);
}

function hasBody(request: HttpRequest): boolean {
  const length = request.headers['content-length'];
  return length === undefined ? request.headers['transfer-encoding'] !== undefined : length !== '0';
}
