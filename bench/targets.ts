/**
 * The targets a scenario measures side by side: the fake upstream itself ("direct", the baseline every
 * "added" number subtracts), Sluice on both of its streaming endpoints, and the peers. Each relay runs
 * as a child process started here (never through npm or a shell), so its pid is the process measured.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestDialect } from './load.ts';
import type { Http2Options } from './load-transport.ts';

export type TargetName =
  | 'direct'
  | 'sluice'
  | 'sluice-events'
  | 'sluice-tls'
  | 'sluice-h2'
  | 'portkey'
  | 'fastapi'
  | 'naive-node'
  | 'http-floor'
  | 'http-floor-tls'
  | 'h2-floor'
  | 'tcp-proxy';

/** Where the fake upstream listens: cleartext HTTP/1.1, and TLS (h2 or HTTP/1.1 by ALPN) with a certificate of its own. */
export interface UpstreamAddresses {
  baseUrl: string;
  tlsBaseUrl: string;
  /** The TLS certificate, to trust. */
  caFile: string;
}

export interface LaunchOptions {
  upstream: UpstreamAddresses;
  /** Sluice's `SLUICE_SEND_TIMEOUT_MS` for this launch; peers have no such setting. */
  sendTimeoutMs?: number;
  /** Extra flags for the node process of a Node target, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Sluice only: run the Sluice in this directory (another checkout, for a before/after) instead of this one. */
  checkout?: string;
  /** Sluice only: more settings, as environment variables (client keys, Redis, the flush budget, workers). */
  environment?: Record<string, string>;
  logFile: string;
}

export interface RunningTarget {
  /** POST URL of the chat completions (or Sluice events) endpoint. */
  url: string;
  headers: Record<string, string>;
  dialect: RequestDialect;
  /** Clients reach it over cleartext h2, this many streams a connection; HTTP/1.1 without. */
  http2?: Http2Options;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface TargetDefinition {
  name: TargetName;
  description: string;
  /** Why the target cannot run on this machine, or undefined when it can. */
  unavailableReason(): string | undefined;
  launch(options: LaunchOptions): Promise<RunningTarget>;
}

const benchDirectory = fileURLToPath(new URL('.', import.meta.url));
const repositoryDirectory = fileURLToPath(new URL('..', import.meta.url));
const portkeyDirectory = `${benchDirectory}peers/portkey`;
const portkeyEntry = `${portkeyDirectory}/node_modules/@portkey-ai/gateway/build/start-server.js`;
const debianPython = '/usr/bin/python3';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** The status of a GET over cleartext h2 with prior knowledge, for a target that speaks nothing else. */
function getOverHttp2(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(new URL(url).origin);
    session.on('error', reject);
    const stream = session.request({ ':path': new URL(url).pathname });
    stream.on('response', (headers) => {
      stream.resume();
      session.close();
      resolve(Number(headers[':status']));
    });
    stream.on('error', reject);
    stream.setTimeout(1000, () => session.destroy(new Error('timeout')));
  });
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string, http2 = false): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before it was ready; see ${logFile}`);
    try {
      if (http2 && (await getOverHttp2(url)) === 200) return;
      if (!http2) {
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not ready after 20 s at ${url}; see ${logFile}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function launchProcess(
  command: string,
  args: string[],
  environment: Record<string, string>,
  logFile: string,
  readyUrl: string,
  directory = repositoryDirectory,
  readyOverHttp2 = false,
): Promise<ChildProcess> {
  mkdirSync(logFile.slice(0, logFile.lastIndexOf('/')), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd: directory, env: { ...process.env, ...environment }, stdio: ['ignore', log, log] });
  closeSync(log);
  try {
    await waitUntilReady(readyUrl, child, logFile, readyOverHttp2);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return child;
}

/**
 * How `npm start` in `directory` runs Sluice (its node flags and entry file), so that the benchmark runs
 * it as the README says to, in any checkout, before or after the move to packages/.
 */
function startCommand(directory = repositoryDirectory): { flags: string[]; entry: string } {
  const { scripts } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/);
  const entry = words.at(-1) ?? '';
  if (words[0] !== 'node' || !entry.endsWith('server/main.ts')) throw new Error(`npm start is not "node [flags] <...>/server/main.ts": ${scripts.start}`);
  return { flags: words.slice(1, -1), entry };
}

/** Streams a connection for the h2 targets' clients: what a browser allows, and what a backend multiplexing its users would use. */
export const streamsPerHttp2Connection = 100;

interface SluiceVariant {
  path: string;
  dialect: RequestDialect;
  /** The upstream over TLS (h2, as Sluice speaks to every https upstream). */
  upstreamTls?: boolean;
  /** Clients over cleartext h2. */
  http2Clients?: boolean;
}

function sluiceTarget(name: 'sluice' | 'sluice-events' | 'sluice-tls' | 'sluice-h2', variant: SluiceVariant, description: string): TargetDefinition {
  return {
    name,
    description,
    unavailableReason: () => (existsSync(join(repositoryDirectory, startCommand().entry)) ? undefined : `${startCommand().entry} does not exist`),
    async launch(options) {
      const port = await freePort();
      const environment: Record<string, string> = {
        OPENAI_BASE_URL: variant.upstreamTls ? options.upstream.tlsBaseUrl : options.upstream.baseUrl,
        OPENAI_API_KEY: 'bench',
        PORT: String(port),
        HOST: '127.0.0.1',
        SLUICE_LOG_LEVEL: 'warn',
        SLUICE_DRAIN_MS: '0',
        // The peers never shed load; neither does Sluice here, so a scenario measures relaying, not the
        // overload guard (the soak measures that, with the default).
        SLUICE_MAX_EVENT_LOOP_LAG_MS: '0',
        ...(variant.upstreamTls ? { SLUICE_UPSTREAM_CA_FILE: options.upstream.caFile } : {}),
      };
      if (options.sendTimeoutMs !== undefined) environment.SLUICE_SEND_TIMEOUT_MS = String(options.sendTimeoutMs);
      Object.assign(environment, options.environment);
      const directory = options.checkout ?? repositoryDirectory;
      const { flags, entry } = startCommand(directory);
      const args = [...flags, ...(options.nodeFlags ?? []), entry];
      const child = await launchProcess(process.execPath, args, environment, options.logFile, `http://127.0.0.1:${port}/readyz`, directory);
      return {
        url: `http://127.0.0.1:${port}${variant.path}`,
        headers: {},
        dialect: variant.dialect,
        ...(variant.http2Clients ? { http2: { streamsPerConnection: streamsPerHttp2Connection } } : {}),
        pid: child.pid,
        stop: () => stopChild(child),
      };
    },
  };
}

/** The HTTP floor (bench/peers/http-floor/server.ts) over HTTP/1.1 or cleartext h2, to a plain or a TLS upstream. */
function httpFloorTarget(name: 'http-floor' | 'http-floor-tls' | 'h2-floor', upstreamTls: boolean, http2Clients: boolean, description: string): TargetDefinition {
  return {
    name,
    description,
    unavailableReason: () => undefined,
    async launch(options) {
      const port = await freePort();
      const environment = {
        OPENAI_BASE_URL: upstreamTls ? options.upstream.tlsBaseUrl : options.upstream.baseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        HTTP_FLOOR_PROTOCOL: http2Clients ? 'h2c' : 'http1',
        ...(upstreamTls ? { NODE_EXTRA_CA_CERTS: options.upstream.caFile } : {}),
      };
      const flags = [...startCommand().flags, ...(options.nodeFlags ?? [])];
      const floor = `${benchDirectory}peers/http-floor/server.ts`;
      const child = await launchProcess(process.execPath, [...flags, floor], environment, options.logFile, `http://127.0.0.1:${port}/`, repositoryDirectory, http2Clients);
      return {
        url: `http://127.0.0.1:${port}/v1/chat/completions`,
        headers: {},
        dialect: 'openai',
        ...(http2Clients ? { http2: { streamsPerConnection: streamsPerHttp2Connection } } : {}),
        pid: child.pid,
        stop: () => stopChild(child),
      };
    },
  };
}

/** Installs a Node peer from its own lockfile when its node_modules are missing. */
function ensurePortkeyInstalled(): void {
  if (existsSync(portkeyEntry)) return;
  console.error('bench: installing the Portkey peer (npm ci in bench/peers/portkey)');
  execFileSync('npm', ['ci', '--prefix', portkeyDirectory, '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function pythonModulesMissing(modules: string[]): string | undefined {
  if (!existsSync(debianPython)) return `${debianPython} not found`;
  try {
    execFileSync(debianPython, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${debianPython} cannot import ${modules.join(', ')}`;
  }
}

/** The targets that run on Node and pass `nodeFlags` to it, for the tools that profile or snapshot one. */
export const nodeTargetNames: ReadonlySet<TargetName> = new Set<TargetName>([
  'sluice',
  'sluice-events',
  'sluice-tls',
  'sluice-h2',
  'portkey',
  'naive-node',
  'http-floor',
  'http-floor-tls',
  'h2-floor',
  'tcp-proxy',
]);

export const targets: TargetDefinition[] = [
  {
    name: 'direct',
    description: 'the fake upstream itself, no relay: the baseline',
    unavailableReason: () => undefined,
    async launch(options) {
      return { url: `${options.upstream.baseUrl}/chat/completions`, headers: {}, dialect: 'openai', pid: undefined, stop: async () => {} };
    },
  },
  sluiceTarget('sluice', { path: '/v1/chat/completions', dialect: 'openai' }, 'Sluice, `POST /v1/chat/completions` (OpenAI wire format, as the peers)'),
  sluiceTarget('sluice-events', { path: '/v1/chat/stream', dialect: 'sluice' }, 'Sluice, `POST /v1/chat/stream` (Sluice event dialect)'),
  sluiceTarget('sluice-tls', { path: '/v1/chat/completions', dialect: 'openai', upstreamTls: true }, 'Sluice as `sluice`, its upstream over TLS (h2, as Sluice speaks to every https provider)'),
  sluiceTarget(
    'sluice-h2',
    { path: '/v1/chat/completions', dialect: 'openai', upstreamTls: true, http2Clients: true },
    `Sluice with clients over cleartext h2 (${streamsPerHttp2Connection} streams a connection) and its upstream over TLS h2`,
  ),
  {
    name: 'portkey',
    description: 'Portkey gateway (`@portkey-ai/gateway`, `@hono/node-server` 1.14.1)',
    unavailableReason: () => undefined,
    async launch(options) {
      ensurePortkeyInstalled();
      const port = await freePort();
      const child = await launchProcess(process.execPath, [...(options.nodeFlags ?? []), portkeyEntry, `--port=${port}`, '--headless'], { NODE_ENV: 'production' }, options.logFile, `http://127.0.0.1:${port}/`);
      return {
        url: `http://127.0.0.1:${port}/v1/chat/completions`,
        headers: { authorization: 'Bearer bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': options.upstream.baseUrl },
        dialect: 'openai',
        pid: child.pid,
        stop: () => stopChild(child),
      };
    },
  },
  {
    name: 'fastapi',
    description: "the seeds' FastAPI pattern (StreamingResponse + httpx + `is_disconnected()`), Debian packages",
    unavailableReason: () => {
      const missing = pythonModulesMissing(['fastapi', 'uvicorn', 'httpx']);
      return missing === undefined ? undefined : `${missing} (apt-get install python3-fastapi python3-uvicorn python3-httpx)`;
    },
    async launch(options) {
      const port = await freePort();
      const args = ['-m', 'uvicorn', 'app:app', '--app-dir', `${benchDirectory}peers/fastapi`, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning', '--no-access-log'];
      // uvicorn's own recommended extras, when Debian's python3-uvloop and python3-httptools are there.
      if (pythonModulesMissing(['uvloop']) === undefined) args.push('--loop', 'uvloop');
      if (pythonModulesMissing(['httptools']) === undefined) args.push('--http', 'httptools');
      const environment = { OPENAI_BASE_URL: options.upstream.baseUrl, OPENAI_API_KEY: 'bench', PYTHONDONTWRITEBYTECODE: '1' };
      const child = await launchProcess(debianPython, args, environment, options.logFile, `http://127.0.0.1:${port}/healthz`);
      return { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: {}, dialect: 'openai', pid: child.pid, stop: () => stopChild(child) };
    },
  },
  {
    name: 'naive-node',
    description: "naive Node relay as the seed's example writes it (`fetch`, `req.on('close')` → abort)",
    unavailableReason: () => undefined,
    async launch(options) {
      const port = await freePort();
      const environment = { OPENAI_BASE_URL: options.upstream.baseUrl, OPENAI_API_KEY: 'bench', PORT: String(port), HOST: '127.0.0.1' };
      const child = await launchProcess(process.execPath, [...(options.nodeFlags ?? []), `${benchDirectory}peers/naive-node/server.ts`], environment, options.logFile, `http://127.0.0.1:${port}/`);
      return { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: {}, dialect: 'openai', pid: child.pid, stop: () => stopChild(child) };
    },
  },
  httpFloorTarget(
    'http-floor',
    false,
    false,
    "Node's `http` server and undici `request`, bytes passed through with backpressure and abort on close: not a gateway, the floor for any relay on Sluice's HTTP stack",
  ),
  httpFloorTarget('http-floor-tls', true, false, 'the HTTP floor to the TLS upstream, over h2 (undici `allowH2`): the floor under `sluice-tls`'),
  httpFloorTarget('h2-floor', true, true, "the HTTP floor on node:http2 (cleartext h2 clients) to the TLS upstream over h2: the floor under `sluice-h2`"),
  {
    name: 'tcp-proxy',
    description: 'a byte-copying TCP proxy in Node (`net` sockets piped both ways): not a gateway, the floor under any Node relay on this machine',
    unavailableReason: () => undefined,
    async launch(options) {
      const port = await freePort();
      const environment = { OPENAI_BASE_URL: options.upstream.baseUrl, PORT: String(port), HOST: '127.0.0.1' };
      const upstreamPath = new URL(options.upstream.baseUrl).pathname;
      const child = await launchProcess(process.execPath, [...(options.nodeFlags ?? []), `${benchDirectory}peers/tcp-proxy/server.ts`], environment, options.logFile, `http://127.0.0.1:${port}${upstreamPath}/models`);
      return { url: `http://127.0.0.1:${port}${upstreamPath}/chat/completions`, headers: {}, dialect: 'openai', pid: child.pid, stop: () => stopChild(child) };
    },
  },
];

/** Versions that identify what was measured, for the report. */
export function describeVersions(): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  try {
    versions.sluice = execFileSync('git', ['-C', repositoryDirectory, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    versions.sluice = 'unknown';
  }
  const readVersion = (file: string): string => {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      return 'not installed';
    }
  };
  versions['@portkey-ai/gateway'] = readVersion(`${portkeyDirectory}/node_modules/@portkey-ai/gateway/package.json`);
  versions['@hono/node-server'] = readVersion(`${portkeyDirectory}/node_modules/@hono/node-server/package.json`);
  try {
    versions.python = execFileSync(
      debianPython,
      ['-c', 'import sys, fastapi, uvicorn, httpx, httpcore; print(f"{sys.version.split()[0]} fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__}, httpx {httpx.__version__}, httpcore {httpcore.__version__}")'],
      { encoding: 'utf8' },
    ).trim();
  } catch {
    versions.python = 'FastAPI stack not installed';
  }
  return versions;
}
