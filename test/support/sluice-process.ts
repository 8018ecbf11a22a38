import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sluiceCommand } from './sluice-command.ts';


export interface SluiceProcess {
  url: string;
  child: ChildProcess;
  /** Parsed JSON log lines from stdout so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resident set size now, in bytes (from /proc). */
  rssBytes(): number;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Runs Sluice's command line as its own process (as users do), on a free port, and waits for its
 * startup log line (so the log level must stay at info or below).
 */
export async function spawnSluice(environment: Record<string, string>): Promise<SluiceProcess> {
  const child = spawn(process.execPath, sluiceCommand(), {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let pendingStdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      pendingStdout += chunk.toString('utf8');
      const lines = pendingStdout.split('\n');
      pendingStdout = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (typeof record.url === 'string' && String(record.msg).startsWith('Sluice listening')) resolve(record.url);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then((code) => reject(new Error(`Sluice exited with ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    child,
    logs,
    stderr: () => stderr,
    rssBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      return match ? Number(match[1]) * 1024 : 0;
    },
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
