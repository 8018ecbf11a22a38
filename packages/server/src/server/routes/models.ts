import type { HttpResponse } from '../http/http-types.ts';
import { demoModelName } from '../../providers/demo/demo-provider.ts';
import { sendJson } from '../http/send-json.ts';
import type { RelayServices } from '../relay/relay-chat.ts';

/**
 * `GET /v1/models`: the models Sluice routes, in OpenAI's list shape, so that `client.models.list()`
 * works against it: the default model, every alias (SLUICE_MODELS), every route named exactly
 * (SLUICE_ROUTES; patterns such as `claude-*` cannot be listed) and the demo model. `owned_by` is the
 * provider the name is routed to first. `created` is when this instance started: Sluice does not know
 * when an upstream made a model.
 */
export function getModels(services: RelayServices, response: HttpResponse, requestId: string, startedAt: number): void {
  const { settings } = services;
  const names = new Set([settings.defaultModel, ...Object.keys(settings.models), ...Object.keys(settings.routes).filter((key) => !key.includes('*')), demoModelName]);
  const data = [...names].map((id) => ({ id, object: 'model', created: startedAt, owned_by: services.routeModel(id).targets[0]?.providerName ?? 'sluice' }));
  sendJson(response, 200, { object: 'list', data }, { 'x-request-id': requestId });
}
