import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort } from './start-redis.ts';

export interface TemporaryNginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** nginx's error log so far, for failure messages. */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx as a child process (`daemon off`, one worker, so round robin alternates
 * predictably) on a free loopback port, proxying to `backends` the way a production deployment in front
 * of Sluice would: HTTP/1.1 to the upstreams, no response buffering, the next backend
 * tried when one refuses the connection or answers 503. Every response says which backend served it in
 * `X-Upstream`.
 */
export async function startNginx(backends: string[]): Promise<TemporaryNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'sluice-nginx-'));
  // Run as root, nginx's workers drop to `nobody`, which must reach the prefix.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'logs'));
  const port = await findFreePort();
  const temp = (name: string): string => `${name}_temp_path ${join(prefix, name)};`;
  const config = `
worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  upstream sluice {
    ${backends.map((backend) => `server ${backend} max_fails=0;`).join('\n    ')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://sluice;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout http_503;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
  const configPath = join(prefix, 'nginx.conf');
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn('/usr/sbin/nginx', ['-c', configPath, '-p', prefix], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const errorLog = (): string => {
    try {
      return readFileSync(join(prefix, 'logs', 'error.log'), 'utf8') + stderr;
    } catch {
      return stderr;
    }
  };
  const deadline = performance.now() + 5_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`nginx did not start: ${errorLog()}`);
    await sleep(20);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    errorLog,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
