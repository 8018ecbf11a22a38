import type { HttpResponse } from '../http/http-types.ts';
import { sendJson } from '../http/send-json.ts';
import type { SluiceMetrics } from '../observability/metrics.ts';

/** `GET /healthz`: the process is alive. */
export function getHealth(response: HttpResponse): void {
  sendJson(response, 200, { status: 'ok' });
}

/** `GET /readyz`: 200 while accepting streams, 503 once draining for shutdown. */
export function getReadiness(response: HttpResponse, draining: boolean): void {
  sendJson(response, draining ? 503 : 200, { status: draining ? 'draining' : 'ready' });
}

/** `GET /metrics`: Prometheus text exposition. */
export async function getMetrics(response: HttpResponse, metrics: SluiceMetrics): Promise<void> {
  const text = await metrics.registry.metrics();
  response.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  response.end(text);
}
