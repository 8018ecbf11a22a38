import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../../packages/server/src/server/config/settings.ts';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startFakeProvider, type FakeProvider } from './fake-provider/index.ts';

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
  close(): Promise<void>;
}

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
}

/**
 * A fake upstream and a Sluice instance relaying to it, both on loopback with free ports. `settings` may
 * be a function of the fake, for settings that need its URL (more providers, routes to them).
 */
export async function startHarness(settings: Partial<Settings> | ((fake: FakeProvider) => Partial<Settings>) = {}, options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeProvider();
  const logs: LogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const sluice = await startSluice(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'info',
      ...upstreamSettings(options.upstream ?? 'openai-chat', fake),
      ...(typeof settings === 'function' ? settings(fake) : settings),
    },
    { logDestination: destination },
  );
  return {
    fake,
    sluice,
    logs,
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
