/** Settings: environment, config file, defaults, bad values that stop startup, and --help. */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadSettings, settingDefinitions, SettingsError } from '../../packages/server/src/server/config/settings.ts';
import { sluiceCommand } from '../support/sluice-command.ts';

const run = promisify(execFile);

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-config-')), 'sluice.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('defaults hold when nothing is set', () => {
  const settings = loadSettings({});
  assert.equal(settings.heartbeatMs, 15_000);
  assert.equal(settings.port, 8787);
  assert.equal(settings.openaiApiKey, undefined);
});

test('SLUICE_WORKERS takes a count or auto, one worker per core Node sees', async () => {
  const { availableParallelism } = await import('node:os');
  assert.equal(loadSettings({}).workers, 1);
  assert.equal(loadSettings({ SLUICE_WORKERS: '3' }).workers, 3);
  assert.equal(loadSettings({ SLUICE_WORKERS: 'auto' }).workers, availableParallelism());
  assert.equal(loadSettings({ SLUICE_CONFIG: configFile({ workers: 'auto' }) }).workers, availableParallelism());
});

test('the environment wins over the config file, which wins over the default', () => {
  const path = configFile({ heartbeatMs: 500, idleTimeoutMs: 700, models: { fast: 'gpt-4o-mini' } });
  const settings = loadSettings({ SLUICE_CONFIG: path, SLUICE_HEARTBEAT_MS: '250' });
  assert.equal(settings.heartbeatMs, 250);
  assert.equal(settings.idleTimeoutMs, 700);
  assert.deepEqual(settings.models, { fast: 'gpt-4o-mini' });
  assert.equal(settings.sendTimeoutMs, 30_000);
});

test('every setting can come from its environment variable', () => {
  for (const name of ['SLUICE_HEARTBEAT_MS', 'SLUICE_FIRST_TOKEN_TIMEOUT_MS', 'SLUICE_IDLE_TIMEOUT_MS', 'SLUICE_TOTAL_TIMEOUT_MS', 'SLUICE_SEND_TIMEOUT_MS', 'SLUICE_DRAIN_MS']) {
    const entry = Object.entries(settingDefinitions).find(([, definition]) => definition.env === name);
    assert.ok(entry, name);
    assert.equal((loadSettings({ [name]: '1234' }) as Record<string, unknown>)[entry[0]], 1234);
  }
});

test('a bad value names the key and what is wrong', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ SLUICE_HEARTBEAT_MS: 'soon' }, /SLUICE_HEARTBEAT_MS: expected a whole number, got "soon"/],
    [{ SLUICE_IDLE_TIMEOUT_MS: '0' }, /SLUICE_IDLE_TIMEOUT_MS: expected a number from 1/],
    [{ PORT: '70000' }, /PORT: expected a number from 0 to 65535/],
    [{ OPENAI_BASE_URL: 'ftp://example' }, /OPENAI_BASE_URL: expected an http\(s\) URL/],
    [{ SLUICE_MODELS: '{"fast":' }, /SLUICE_MODELS: expected a JSON object/],
    [{ SLUICE_LOG_LEVEL: 'loud' }, /SLUICE_LOG_LEVEL: expected one of/],
    [{ SLUICE_CONFIG: '/nonexistent/sluice.json' }, /Cannot read SLUICE_CONFIG file \/nonexistent\/sluice.json: ENOENT/],
    [{ SLUICE_CONFIG: configFile('{not json') }, /is not valid JSON/],
    [{ SLUICE_CONFIG: configFile({ heartbeatMS: 5 }) }, /Unknown setting "heartbeatMS" in .*; did you mean "heartbeatMs"\?/],
    [{ SLUICE_CONFIG: configFile({ drainMs: '10s' }) }, /Invalid "drainMs" in .* \(SLUICE_DRAIN_MS\): expected a whole number/],
    [{ SLUICE_WORKERS: 'many' }, /SLUICE_WORKERS: expected "auto" or a whole number from 1 to 256, got "many"/],
    [{ SLUICE_FLUSH_MS: '5000' }, /SLUICE_FLUSH_MS: expected a number from 0 to 1000, got 5000/],
    [{ SLUICE_OPENAI_HTTP2: 'maybe' }, /SLUICE_OPENAI_HTTP2: expected true or false, got "maybe"/],
    [{ SLUICE_PROVIDERS: '{"local":{"type":"openai-chat","baseUrl":"https://example.com/v1","http2":"yes"}}' }, /provider "local": "http2" must be true or false/],
    [{ SLUICE_TLS_CERT: 'cert.pem' }, /SLUICE_TLS_CERT is set without SLUICE_TLS_KEY: TLS needs both/],
  ];
  for (const [environment, message] of cases) {
    assert.throws(() => loadSettings(environment), (error: unknown) => error instanceof SettingsError && message.test(error.message), JSON.stringify(environment));
  }
});

test('a SLUICE_* variable that is no setting stops startup, naming the nearest one', () => {
  const cases: [Record<string, string>, string][] = [
    [{ SLUICE_HEARTBAET_MS: '5' }, 'Unknown variable SLUICE_HEARTBAET_MS; did you mean SLUICE_HEARTBEAT_MS?'],
    [{ SLUICE_PORT: 'abc' }, 'Unknown variable SLUICE_PORT; did you mean PORT?'],
    [{ SLUICE_OPENAI_API_KEY: 'sk-x' }, 'Unknown variable SLUICE_OPENAI_API_KEY; did you mean OPENAI_API_KEY?'],
    [{ SLUICE_REDIS_URL: 'redis://x' }, 'Unknown variable SLUICE_REDIS_URL; did you mean REDIS_URL?'],
    [{ SLUICE_CONFIG_FILE: 'sluice.json' }, 'Unknown variable SLUICE_CONFIG_FILE; did you mean SLUICE_CONFIG?'],
    [{ SLUICE_MAX_PENDING_BYTES: '1024' }, 'Unknown variable SLUICE_MAX_PENDING_BYTES; did you mean SLUICE_MAX_BODY_BYTES?'],
  ];
  for (const [environment, message] of cases) {
    assert.throws(
      () => loadSettings(environment),
      (error: unknown) => error instanceof SettingsError && error.message === `${message} Every SLUICE_* variable must be a setting (sluice --help lists them)`,
      JSON.stringify(environment),
    );
  }
  assert.equal(loadSettings({ PATH: '/usr/bin', HOME: '/root', NODE_OPTIONS: '', SLUICE_CONFIG: '' }).port, 8787, 'other variables are not Sluice’s');
});

test('the resume grace check names the variable that was set, not the default beside it', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ SLUICE_SSE_RETRY_MS: '20000' }, /^Invalid SLUICE_SSE_RETRY_MS: 20000 must be shorter than SLUICE_RESUME_GRACE_MS \(10000, the default\); an EventSource waits the retry before it reconnects$/],
    [{ SLUICE_RESUME_GRACE_MS: '500' }, /^Invalid SLUICE_RESUME_GRACE_MS: 500 must be longer than SLUICE_SSE_RETRY_MS \(1000, the default\)/],
    [{ SLUICE_RESUME_GRACE_MS: '500', SLUICE_SSE_RETRY_MS: '800' }, /^Invalid SLUICE_RESUME_GRACE_MS and SLUICE_SSE_RETRY_MS: the resume grace period \(500 ms\) must be longer than the SSE retry \(800 ms\)/],
    [{ SLUICE_CONFIG: configFile({ sseRetryMs: 20_000 }) }, /^Invalid "sseRetryMs" in \S+sluice\.json: 20000 must be shorter than SLUICE_RESUME_GRACE_MS/],
  ];
  for (const [environment, message] of cases) {
    assert.throws(() => loadSettings(environment), (error: unknown) => error instanceof SettingsError && message.test(error.message), JSON.stringify(environment));
  }
});

test('a bad setting stops startup with exit code 1 and the message on stderr', async () => {
  await assert.rejects(run(process.execPath, sluiceCommand(), { env: { ...process.env, SLUICE_SEND_TIMEOUT_MS: '-5' } }), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr ?? '', /sluice: Invalid SLUICE_SEND_TIMEOUT_MS/);
    return true;
  });
});

test('an unknown SLUICE_* variable stops the command with one line on stderr and exit code 1', async () => {
  await assert.rejects(run(process.execPath, sluiceCommand(), { env: { PATH: process.env.PATH ?? '', SLUICE_HEARTBAET_MS: '5' } }), (error: { code?: number; stdout?: string; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.equal(error.stderr, 'sluice: Unknown variable SLUICE_HEARTBAET_MS; did you mean SLUICE_HEARTBEAT_MS? Every SLUICE_* variable must be a setting (sluice --help lists them)\n');
    assert.equal(error.stdout, '');
    return true;
  });
});

test('a TLS file that cannot be read stops startup, naming it', async () => {
  const environment = { ...process.env, SLUICE_TLS_CERT: '/nonexistent/cert.pem', SLUICE_TLS_KEY: '/nonexistent/key.pem' };
  await assert.rejects(run(process.execPath, sluiceCommand(), { env: environment }), (error: { code?: number; stderr?: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr ?? '', /sluice: Cannot read SLUICE_TLS_CERT file \/nonexistent\/cert.pem: ENOENT/);
    return true;
  });
});

test('--help lists every setting with its default', async () => {
  const { stdout } = await run(process.execPath, sluiceCommand('--help'));
  for (const definition of Object.values(settingDefinitions)) assert.ok(stdout.includes(definition.env), definition.env);
  assert.match(stdout, /SLUICE_HEARTBEAT_MS\s+"heartbeatMs"\s+default 15000/);
  assert.ok(stdout.includes('SLUICE_CONFIG'));
});

test("the README's settings table lists every setting", async () => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  for (const [key, definition] of Object.entries(settingDefinitions)) {
    assert.ok(readme.includes(`| \`${definition.env}\` | \`${key}\` |`), `README row for ${definition.env}`);
  }
});
