import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface TemporaryRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the server at once (SIGKILL): every client sees its connection drop. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's `redis-server` on a free loopback port, in a temporary directory, without persistence
 * (`--save ''`, `--appendonly no`): about 50 ms. Never the shared instance on 6379.
 */
export async function startRedis(): Promise<TemporaryRedis> {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const port = await findFreePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory], {
      stdio: 'ignore',
    });
    child = server;
    const deadline = performance.now() + 5_000;
    while (true) {
      const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        return;
      } catch (error) {
        if (performance.now() > deadline || server.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`, { cause: error });
        await sleep(20);
      } finally {
        client.disconnect();
      }
    }
  };

  const kill = async (): Promise<void> => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
