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
    [{ SLUICE_CONFIG: configFile({ heartbeatMS: 5 }) }, /Unknown setting "heartbeatMS"/],
    [{ SLUICE_CONFIG: configFile({ drainMs: '10s' }) }, /Invalid "drainMs" in .* \(SLUICE_DRAIN_MS\): expected a whole number/],
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
