/**
 * The admin API of client keys, under `/admin/keys` (behind SLUICE_ADMIN_TOKEN, see
 * handle-admin-request.ts). A key's secret is in the answer to its creation and nowhere else, ever.
 */

import type { HttpRequest, HttpResponse } from '../http/http-types.ts';
import { SluiceError } from '@sluice/protocol';
import { unknownKeyMessage } from '../../keys/key-store.ts';
import type { AccessControl } from '../access/access-control.ts';
import { parseKeyChanges, parseNewKey, toKeyBody, toModelUsageBody } from '../access/key-fields.ts';
import type { Settings } from '../config/settings.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { sendJson } from '../http/send-json.ts';

export interface AdminServices {
  settings: Settings;
  access: AccessControl;
}

/** `POST /admin/keys`: 201 with the key's fields and, this once, its secret as `key`. */
export async function postKey(services: AdminServices, request: HttpRequest, response: HttpResponse, requestId: string): Promise<void> {
  const fields = parseNewKey(await readJsonBody(request, services.settings.maxBodyBytes));
  const { record, secret } = await services.access.directory.create(fields);
  sendJson(response, 201, { ...toKeyBody(record), key: secret }, { 'x-request-id': requestId });
}

/** `GET /admin/keys`: every key, revoked ones included, oldest first. */
export async function getKeys(services: AdminServices, response: HttpResponse, requestId: string): Promise<void> {
  const keys = await services.access.directory.list();
  sendJson(response, 200, { object: 'list', data: keys.map(toKeyBody) }, { 'x-request-id': requestId });
}

export async function getKey(services: AdminServices, response: HttpResponse, id: string, requestId: string): Promise<void> {
  sendJson(response, 200, toKeyBody(await findKey(services, id)), { 'x-request-id': requestId });
}

/** `PATCH /admin/keys/{id}`: changes the fields given; null clears a limit. */
export async function patchKey(services: AdminServices, request: HttpRequest, response: HttpResponse, id: string, requestId: string): Promise<void> {
  const changes = parseKeyChanges(await readJsonBody(request, services.settings.maxBodyBytes));
  const record = await services.access.directory.update(id, changes);
  if (record === undefined) throw unknownKey(id);
  sendJson(response, 200, toKeyBody(record), { 'x-request-id': requestId });
}

/** `DELETE /admin/keys/{id}`: revokes the key (it stays listed, with `revoked_at`); its requests get 401 from then on. */
export async function deleteKey(services: AdminServices, response: HttpResponse, id: string, requestId: string): Promise<void> {
  const record = await services.access.directory.revoke(id);
  if (record === undefined) throw unknownKey(id);
  sendJson(response, 200, toKeyBody(record), { 'x-request-id': requestId });
}

/** `GET /admin/keys/{id}/usage`: what the key spent over its life, by model, and where it stands in the current minute. */
export async function getKeyUsage(services: AdminServices, response: HttpResponse, id: string, requestId: string): Promise<void> {
  const key = await findKey(services, id);
  const [byModel, minute] = await Promise.all([services.access.directory.usageOf(id), services.access.limiter.current(id)]);
  // Totals from the rows by model, read in one query, so that they agree with each other.
  const sum = (field: 'requests' | 'promptTokens' | 'completionTokens' | 'estimatedRequests' | 'costUsd') => byModel.reduce((total, usage) => total + usage[field], 0);
  const spentTokens = sum('promptTokens') + sum('completionTokens');
  sendJson(
    response,
    200,
    {
      id: key.id,
      object: 'client_key.usage',
      name: key.name,
      requests: sum('requests'),
      prompt_tokens: sum('promptTokens'),
      completion_tokens: sum('completionTokens'),
      total_tokens: spentTokens,
      estimated_requests: sum('estimatedRequests'),
      spend_usd: sum('costUsd'),
      budget_tokens: key.budgetTokens,
      budget_remaining_tokens: key.budgetTokens === null ? null : Math.max(0, key.budgetTokens - spentTokens),
      budget_usd: key.budgetUsd,
      budget_remaining_usd: key.budgetUsd === null ? null : Math.max(0, key.budgetUsd - sum('costUsd')),
      by_model: byModel.map(toModelUsageBody),
      current_minute: {
        requests: minute.requests,
        tokens: minute.tokens,
        reserved_tokens: minute.reservedTokens,
        reset_ms: minute.resetMs,
        rpm: key.requestsPerMinute,
        tpm: key.tokensPerMinute,
      },
    },
    { 'x-request-id': requestId },
  );
}

async function findKey(services: AdminServices, id: string) {
  const key = await services.access.directory.get(id);
  if (key === undefined) throw unknownKey(id);
  return key;
}

function unknownKey(id: string): SluiceError {
  return new SluiceError('not_found', unknownKeyMessage(id));
}
