import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../../packages/server/src/server/config/settings.ts';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startFakeProvider, type FakeProvider } from './fake-provider/index.ts';
import { openStream, readStream, type OpenedStream, type OpenOptions } from './sse-client.ts';
import { testCertificate } from './test-certificate.ts';

/** A key that must never appear in anything a client receives. */
export const upstreamSecret = 'sk-test-SECRETKEY1234567890';

export type LogRecord = Record<string, unknown> & { msg?: string };

export interface Harness {
  fake: FakeProvider;
  sluice: SluiceInstance;
  /** Every JSON log line Sluice wrote, parsed. */
  logs: LogRecord[];
  /** Resolves with the first log line (already written or to come) that matches. */
  waitForLog(predicate: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** How the harness's client reaches Sluice. */
  readonly client: ClientProtocol;
  /** Opens a request to a path of Sluice's over the harness's client protocol (every h2 request on one shared connection). */
  openStream(path: string, options?: OpenOptions): Promise<OpenedStream>;
  /** Opens and reads to the end, as `openStream`. */
  readStream(path: string, options?: OpenOptions): Promise<OpenedStream>;
  close(): Promise<void>;
}

/**
 * How a test client reaches Sluice: HTTP/1.1 (a connection per request), cleartext h2 with prior
 * knowledge, or h2 over TLS (Sluice serving the test certificate); the h2 ones share one connection.
 */
export type ClientProtocol = 'http1' | 'h2c' | 'h2';

export const clientProtocols: readonly ClientProtocol[] = ['http1', 'h2c', 'h2'];

/** The wire format Sluice speaks to the fake upstream: every provider adapter runs against it. */
export type UpstreamKind = 'openai-chat' | 'openai-responses' | 'anthropic-messages';

export const upstreamKinds: readonly UpstreamKind[] = ['openai-chat', 'openai-responses', 'anthropic-messages'];

/** Settings that send every model to the fake through one provider adapter. */
export function upstreamSettings(kind: UpstreamKind, fake: FakeProvider): Partial<Settings> {
  switch (kind) {
    case 'openai-chat':
      return { openaiBaseUrl: fake.url, openaiApiKey: upstreamSecret };
    case 'openai-responses':
      return { openaiBaseUrl: fake.url, openaiApiKey: upstreamSecret, routes: { '*': { provider: 'openai-responses' } } };
    case 'anthropic-messages':
      return { anthropicBaseUrl: fake.url, anthropicApiKey: upstreamSecret };
  }
}

export interface HarnessOptions {
  /** The provider adapter between Sluice and the fake. @default 'openai-chat' */
  upstream?: UpstreamKind;
  /** @default 'http1' */
  client?: ClientProtocol;
  /**
   * The fake speaks TLS (the test certificate, which Sluice is told to trust), so Sluice offers it h2,
   * as it does every https upstream, unless the settings turn that off. @default false
   */
  upstreamTls?: boolean;
}

/**
 * A fake upstream and a Sluice instance relaying to it, both on loopback with free ports. `settings` may
 * be a function of the fake, for settings that need its URL (more providers, routes to them).
 */
export async function startHarness(settings: Partial<Settings> | ((fake: FakeProvider) => Partial<Settings>) = {}, options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeProvider({ tls: options.upstreamTls ?? false });
  const logs: LogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const client = options.client ?? 'http1';
  const tls = client === 'h2' ? { tlsCert: testCertificate().certPath, tlsKey: testCertificate().keyPath } : {};
  const sluice = await startSluice(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'info',
      ...tls,
      ...(options.upstreamTls ? { upstreamCaFile: testCertificate().certPath } : {}),
      ...upstreamSettings(options.upstream ?? 'openai-chat', fake),
      ...(typeof settings === 'function' ? settings(fake) : settings),
    },
    { logDestination: destination },
  );
  let session: ClientHttp2Session | undefined;
  const sessionOptions = (): OpenOptions => {
    if (client === 'http1') return {};
    if (session === undefined || session.closed || session.destroyed) {
      // Flow-control windows as a browser opens them (Chrome: 6 MB a stream, 15 MB a connection), not
      // Node's 64 KiB, which would make every large test body a series of round trips.
      const opened = connectHttp2(sluice.url, { ...(client === 'h2' ? { ca: testCertificate().cert } : {}), settings: { initialWindowSize: 6 * 2 ** 20 } });
      opened.once('connect', () => opened.setLocalWindowSize(15 * 2 ** 20));
      // A session's errors reach the streams on it, which the tests read.
      opened.on('error', () => {});
      session = opened;
    }
    return { session };
  };
  return {
    fake,
    sluice,
    logs,
    client,
    openStream: (path, streamOptions = {}) => openStream(`${sluice.url}${path}`, { ...sessionOptions(), ...streamOptions }),
    readStream: (path, streamOptions = {}) => readStream(`${sluice.url}${path}`, { ...sessionOptions(), ...streamOptions }),
    async waitForLog(predicate, timeoutMs = 5000) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        sluice.logger.flush();
        const found = logs.find(predicate);
        if (found) return found;
        await sleep(5);
      }
      throw new Error(`No matching log line within ${timeoutMs} ms; lines: ${JSON.stringify(logs)}`);
    },
    async close() {
      session?.destroy();
      await sluice.close();
      await fake.close();
    },
  };
}

/** Waits until `condition` holds, polling; throws with `what` after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Counts live timers, to prove a stream left none behind. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
