/**
 * The two helper processes every scenario uses (the fake upstream and the load generator, each forked
 * so its CPU never counts against the process under test), and `measureJob`, which runs one load job
 * against one target while reading that target's CPU time and memory from /proc.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { UpstreamCommand, UpstreamReply, UpstreamStreamRecord } from './fake-upstream.ts';
import type { LoadJob, LoadMark, LoadMessage, LoadResult } from './load.ts';
import { readCpuTimeMs, readMemoryStatus, resetPeakRss } from './proc-stats.ts';

function forkHelper(file: string): ChildProcess {
  return fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

async function stopHelper(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

export class UpstreamProcess {
  private readonly child: ChildProcess;
  /** Cleartext HTTP/1.1. */
  readonly baseUrl: string;
  /** TLS, h2 or HTTP/1.1 by ALPN, with a certificate only `caFile` vouches for. */
  readonly tlsBaseUrl: string;
  readonly caFile: string;
  readonly pid: number;

  private constructor(child: ChildProcess, reply: Extract<UpstreamReply, { type: 'ready' }>) {
    this.child = child;
    this.baseUrl = `http://127.0.0.1:${reply.port}/v1`;
    this.tlsBaseUrl = `https://127.0.0.1:${reply.tlsPort}/v1`;
    this.caFile = reply.caFile;
    this.pid = child.pid ?? 0;
  }

  static async start(): Promise<UpstreamProcess> {
    const child = forkHelper('./fake-upstream.ts');
    const [reply] = (await once(child, 'message')) as [UpstreamReply];
    if (reply.type !== 'ready') throw new Error(`fake upstream answered ${reply.type} before ready`);
    return new UpstreamProcess(child, reply);
  }

  private async ask(command: UpstreamCommand): Promise<UpstreamReply> {
    const answer = once(this.child, 'message') as Promise<[UpstreamReply]>;
    this.child.send(command);
    const [reply] = await answer;
    return reply;
  }

  async records(streamIds: string[]): Promise<(UpstreamStreamRecord | undefined)[]> {
    const reply = await this.ask({ type: 'records', streamIds });
    if (reply.type !== 'records') throw new Error(`fake upstream answered ${reply.type} to records`);
    return reply.records;
  }

  async reset(): Promise<void> {
    await this.ask({ type: 'reset' });
  }

  stop(): Promise<void> {
    return stopHelper(this.child);
  }
}

export class LoadProcess {
  private readonly child: ChildProcess;
  readonly pid: number;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.pid = child.pid ?? 0;
  }

  static start(): LoadProcess {
    return new LoadProcess(forkHelper('./load.ts'));
  }

  /** Runs one job; `onMark` hears the job's marks (see load.ts). */
  run<Result extends LoadResult>(job: LoadJob, onMark?: (label: LoadMark) => void): Promise<Result> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: LoadMessage): void => {
        if (message.type === 'mark') {
          onMark?.(message.label);
          return;
        }
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (message.type === 'result') resolve(message.result as Result);
        else reject(new Error(`load generator failed: ${message.message}`));
      };
      const onExit = (): void => reject(new Error('load generator exited during a job'));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send({ type: 'job', job });
    });
  }

  stop(): Promise<void> {
    return stopHelper(this.child);
  }
}

export interface ProcessUsage {
  cpuMs: number;
  /** VmHWM over the job (reset before it where the kernel allows, else the process's lifetime peak). */
  peakRssBytes: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Highest VmRSS seen by sampling every 100 ms during the job. */
  sampledMaxRssBytes: number;
}

export interface Measured<Result extends LoadResult> {
  result: Result;
  usage: ProcessUsage | undefined;
}

/**
 * Runs `job` on the load generator and, when `pid` names the process under test, its CPU time and
 * memory over the job. At each of the job's marks `onMark` gets a reader of the usage so far (undefined
 * without a process under test), to call then or whenever the scenario wants a sample.
 */
export async function measureJob<Result extends LoadResult>(
  load: LoadProcess,
  pid: number | undefined,
  job: LoadJob,
  onMark?: (label: LoadMark, readUsage: (() => ProcessUsage) | undefined) => void,
): Promise<Measured<Result>> {
  if (pid === undefined) return { result: await load.run<Result>(job, onMark === undefined ? undefined : (label) => onMark(label, undefined)), usage: undefined };
  resetPeakRss(pid);
  const before = readMemoryStatus(pid);
  const cpuBeforeMs = readCpuTimeMs(pid);
  let sampledMaxRssBytes = before.rssBytes;
  const sampler = setInterval(() => {
    sampledMaxRssBytes = Math.max(sampledMaxRssBytes, readMemoryStatus(pid).rssBytes);
  }, 100);
  const usageNow = (): ProcessUsage => {
    const now = readMemoryStatus(pid);
    sampledMaxRssBytes = Math.max(sampledMaxRssBytes, now.rssBytes);
    return {
      cpuMs: readCpuTimeMs(pid) - cpuBeforeMs,
      peakRssBytes: now.peakRssBytes,
      rssBeforeBytes: before.rssBytes,
      rssAfterBytes: now.rssBytes,
      sampledMaxRssBytes,
    };
  };
  try {
    const result = await load.run<Result>(job, onMark === undefined ? undefined : (label) => onMark(label, usageNow));
    return { result, usage: usageNow() };
  } finally {
    clearInterval(sampler);
  }
}
