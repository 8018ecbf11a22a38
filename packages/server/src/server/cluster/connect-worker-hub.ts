import type { StreamHub } from '../../pipeline/hub/stream-hub.ts';
import { createWorkerHub, isHubDelivery } from '../../pipeline/hub/worker-hub.ts';

/**
 * This worker's hub, asking the other workers through the primary process over node:cluster's IPC
 * channel: what SLUICE_WORKERS uses without Redis.
 */
export function connectWorkerHub(local: StreamHub, workerId: number): StreamHub {
  const hub = createWorkerHub(local, { send: (report) => process.send?.(report) }, workerId);
  const onMessage = (message: unknown): void => {
    if (isHubDelivery(message)) hub.receive(message);
  };
  process.on('message', onMessage);
  return {
    shared: hub.shared,
    create: hub.create,
    open: hub.open,
    meta: hub.meta,
    cancel: hub.cancel,
    read: hub.read,
    findActive: hub.findActive,
    async close() {
      process.off('message', onMessage);
      await hub.close();
    },
  };
}
