import cluster, { type Worker } from 'node:cluster';
import { isHubReport } from '../../pipeline/hub/worker-hub.ts';
import { WorkerHubRouter } from '../../pipeline/hub/worker-hub-router.ts';
import type { Logger } from '../observability/logger.ts';

/** What a worker tells the primary once its server listens: where, and what answers (providers, or the demo model). */
export interface WorkerListening {
  sluice: 'listening';
  url: string;
  upstream: string;
}

export function isWorkerListening(message: unknown): message is WorkerListening {
  return typeof message === 'object' && message !== null && (message as WorkerListening).sluice === 'listening';
}

/**
 * The primary process of SLUICE_WORKERS: it starts `workers` copies of this command with node:cluster
 * (they share the port; the primary hands each new connection to the next worker), passes the worker
 * hubs' questions between them, and serves no request itself. It announces the URL once every worker
 * listens. A worker that dies is replaced; one that dies before it listened stops them all (a setting
 * only the workers read, such as a TLS file, is wrong). SIGTERM or SIGINT drains every worker (each
 * runs its own drain) and exits 0 once all have exited 0.
 */
export function runPrimary(workers: number, logger: Logger): void {
  const router = new WorkerHubRouter((workerId, delivery) => cluster.workers?.[workerId]?.send(delivery));
  const listening = new Set<number>();
  let announced = false;
  let stopping = false;
  /** Exit code of the primary: 1 once a worker failed to start or exited with an error during the drain. */
  let exitCode = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    router.joined(worker.id);
    worker.on('message', (message: unknown) => onMessage(worker, message));
  };
  const onMessage = (worker: Worker, message: unknown): void => {
    if (isWorkerListening(message)) {
      listening.add(worker.id);
      if (!announced && listening.size === workers) {
        announced = true;
        logger.info({ url: message.url, workers }, `Sluice listening on ${message.url}; ${workers} workers; ${message.upstream}`);
      }
      return;
    }
    if (isHubReport(message)) router.receive(worker.id, message);
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, `${signal}: draining every worker`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };

  cluster.on('exit', (worker, code, signal) => {
    router.left(worker.id);
    const started = listening.delete(worker.id);
    if (stopping) {
      if (code !== 0) exitCode = 1;
    } else if (!started) {
      logger.error({ worker: worker.id, code, signal }, 'a worker exited before it listened: stopping');
      exitCode = 1;
      stop('SIGTERM');
    } else {
      logger.warn({ worker: worker.id, code, signal }, 'a worker exited; starting another');
      fork();
    }
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
  });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  for (let count = 0; count < workers; count += 1) fork();
}
