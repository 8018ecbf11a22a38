/**
 * The admin surface and what surrounds keys: `/admin/keys` over HTTP (created once with its secret,
 * listed without, changed, revoked; every bad field a 400 naming it), the admin token, the admin port,
 * `/metrics` behind the token, stream tokens and the session cookie, the `sluice keys` CLI, and the
 * refusal to start open on a public address.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sluiceCommand } from '../support/sluice-command.ts';
import { eventually, startHarness, upstreamSecret } from '../support/sluice-harness.ts';
import { spawnSluice } from '../support/sluice-process.ts';
import { findFreePort } from '../support/start-redis.ts';
import { adminToken, startAccessHarness, type AccessHarness } from './access-harness.ts';

const run = promisify(execFile);
const asAdmin = { authorization: `Bearer ${adminToken}` };

describe('the admin API', () => {
  let harness: AccessHarness;
  before(async () => {
    harness = await startAccessHarness({ streamTokenTtlMs: 400 });
  });
  after(() => harness?.close());

  test('create answers 201 with the key once; list, get, update and revoke never show it', async () => {
    const created = await harness.admin('/admin/keys', {
      body: { name: 'web app', models: ['gpt-4o-mini', 'claude-*'], rpm: 60, tpm: 50_000, budget_tokens: 2_000_000, expires_at: '2031-05-06T07:08:09+02:00', metadata: { team: 'web' } },
    });
    assert.equal(created.status, 201);
    const body = (await created.json()) as Record<string, any>;
    assert.match(body.key, /^sk-sluice-[A-Za-z0-9_-]{32}$/);
    assert.match(body.id, /^key_/);
    assert.deepEqual(
      [body.name, body.models, body.rpm, body.tpm, body.budget_tokens, body.budget_usd, body.expires_at, body.metadata, body.revoked_at, body.hint],
      ['web app', ['gpt-4o-mini', 'claude-*'], 60, 50_000, 2_000_000, null, '2031-05-06T05:08:09.000Z', { team: 'web' }, null, `sk-sluice-…${body.key.slice(-4)}`],
    );
    const listed = await (await harness.admin('/admin/keys')).text();
    assert.ok(!listed.includes(body.key), 'no secret in the listing');
    assert.equal((JSON.parse(listed) as { data: { id: string }[] }).data.find((key) => key.id === body.id) !== undefined, true);
    const one = (await (await harness.admin(`/admin/keys/${body.id}`)).json()) as Record<string, unknown>;
    assert.equal(one.key, undefined);
    const patched = (await (await harness.admin(`/admin/keys/${body.id}`, { method: 'PATCH', body: { rpm: null, name: 'web app v2' } })).json()) as Record<string, unknown>;
    assert.deepEqual([patched.rpm, patched.name, patched.tpm], [null, 'web app v2', 50_000]);
    const revoked = (await (await harness.admin(`/admin/keys/${body.id}`, { method: 'DELETE' })).json()) as Record<string, unknown>;
    assert.equal(typeof revoked.revoked_at, 'string');
    const chat = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${body.key}` }, body: '{"prompt":"hi"}' });
    assert.equal(chat.status, 401);
    const usage = (await (await harness.admin(`/admin/keys/${body.id}/usage`)).json()) as Record<string, unknown>;
    assert.deepEqual([usage.requests, usage.total_tokens, usage.budget_remaining_tokens], [0, 0, 2_000_000]);
  });

  test('every bad field is a 400 naming it; unknown keys are 404; wrong methods 405', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /"name"/],
      [{ name: '  ' }, /"name": must not be empty/],
      [{ name: 'x', rpm: -1 }, /"rpm": must be 1 or more/],
      [{ name: 'x', tpm: 1.5 }, /"tpm": must be a whole number/],
      [{ name: 'x', models: [] }, /"models": must name at least one model/],
      [{ name: 'x', expires_at: 'tomorrow' }, /"expires_at": must be an ISO 8601 date/],
      [{ name: 'x', budget_usd: 0 }, /"budget_usd": must be more than 0/],
      [{ name: 'x', metadata: { blob: 'x'.repeat(5000) } }, /"metadata": must be at most 4096 bytes/],
      [{ name: 'x', colour: 'red' }, /colour/],
    ];
    for (const [body, message] of cases) {
      const response = await harness.admin('/admin/keys', { body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(((await response.json()) as { error: { message: string } }).error.message, message);
    }
    assert.equal((await harness.admin('/admin/keys/key_nope', { method: 'PATCH', body: { name: 'y' } })).status, 404);
    assert.equal((await harness.admin('/admin/keys/key_nope', { method: 'DELETE' })).status, 404);
    assert.equal((await harness.admin('/admin/keys/key_nope/usage')).status, 404);
    const created = await harness.createKey({ name: 'to patch' });
    assert.equal((await harness.admin(`/admin/keys/${created.id}`, { method: 'PATCH', body: {} })).status, 400);
    const put = await harness.admin('/admin/keys', { method: 'PUT', body: {} });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, POST');
  });

  test('the admin token: required, compared exactly; /metrics on the public port needs it too', async () => {
    assert.equal((await fetch(`${harness.sluice.url}/admin/keys`)).status, 401);
    assert.equal((await fetch(`${harness.sluice.url}/admin/keys`, { headers: { authorization: `Bearer ${adminToken}x` } })).status, 401);
    assert.equal((await fetch(`${harness.sluice.url}/admin/keys`, { headers: { authorization: `Bearer ${adminToken.slice(0, -1)}` } })).status, 401);
    assert.equal((await fetch(`${harness.sluice.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${harness.sluice.url}/v1/chat/stream?prompt=hi`)).status, 401);
    const metrics = await fetch(`${harness.sluice.url}/metrics`, { headers: asAdmin });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /sluice_auth_failures_total\{reason="missing"\}/);
  });

  test('stream tokens: an EventSource URL streams with one; tampered, expired or revoked ones are refused; only a key issues them', async () => {
    const key = await harness.createKey({ name: 'eventsource' });
    harness.fake.setScenario({ text: 'Hello there.' });
    const issued = await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST', headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(issued.status, 201);
    const { token, key_id: keyId, expires_at: expiresAt } = (await issued.json()) as { token: string; key_id: string; expires_at: string };
    assert.equal(keyId, key.id);
    assert.ok(Date.parse(expiresAt) > Date.now());
    assert.ok(!token.includes(key.key));
    const stream = await fetch(`${harness.sluice.url}/v1/chat/stream?prompt=hi&stream_token=${encodeURIComponent(token)}`);
    assert.equal(stream.status, 200);
    assert.match(await stream.text(), /Hello there/);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await fetch(`${harness.sluice.url}/v1/chat/stream?prompt=hi&stream_token=${tampered}`)).status, 401);
    assert.equal((await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST', headers: { cookie: `sluice_session=${token}` } })).status, 403, 'a token does not renew itself');
    await sleep(450);
    assert.equal((await fetch(`${harness.sluice.url}/v1/chat/stream?prompt=hi&stream_token=${token}`)).status, 401, 'expired');
    const fresh = ((await (await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST', headers: { 'x-api-key': key.key } })).json()) as { token: string }).token;
    await harness.admin(`/admin/keys/${key.id}`, { method: 'DELETE' });
    assert.equal((await fetch(`${harness.sluice.url}/v1/chat/stream?prompt=hi&stream_token=${fresh}`)).status, 401, 'the key was revoked');
  });

  test('the chat page session: an HttpOnly SameSite=Strict cookie, honoured from the same origin only', async () => {
    const key = await harness.createKey({ name: 'chat page' });
    const issued = await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: '{"cookie":true}' });
    assert.equal(issued.status, 201);
    const cookie = issued.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^sluice_session=sst1\.[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const session = cookie.split(';')[0]!;
    harness.fake.setScenario({ text: 'From the page.' });
    const sameOrigin = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: session, 'sec-fetch-site': 'same-origin' }, body: '{"prompt":"hi"}' });
    assert.equal(sameOrigin.status, 200);
    await sameOrigin.text();
    const crossSite = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: session, 'sec-fetch-site': 'cross-site' }, body: '{"prompt":"hi"}' });
    assert.equal(crossSite.status, 401);
    assert.equal((await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` }, body: '{"cookie":"yes"}' })).status, 400);
  });
});

describe('without an admin token, and with an admin port', () => {
  test('no admin token: no admin API, and /metrics stays open on the public port as in open mode', async () => {
    const harness = await startHarness();
    try {
      const response = await fetch(`${harness.sluice.url}/admin/keys`, { headers: asAdmin });
      assert.equal(response.status, 404);
      assert.match(await response.text(), /SLUICE_ADMIN_TOKEN/);
      assert.equal((await fetch(`${harness.sluice.url}/metrics`)).status, 200);
      const token = await fetch(`${harness.sluice.url}/v1/stream-tokens`, { method: 'POST' });
      assert.equal(token.status, 400, 'open: no stream token is needed');
    } finally {
      await harness.close();
    }
  });

  test('SLUICE_ADMIN_PORT: /admin and /metrics move there (metrics without a token) and leave the public port', async () => {
    const harness = await startAccessHarness({ adminPort: 0 });
    try {
      const adminUrl = harness.sluice.adminUrl!;
      assert.notEqual(adminUrl, harness.sluice.url);
      assert.equal((await fetch(`${harness.sluice.url}/admin/keys`, { headers: asAdmin })).status, 404);
      assert.equal((await fetch(`${harness.sluice.url}/metrics`, { headers: asAdmin })).status, 404);
      assert.equal((await fetch(`${adminUrl}/metrics`)).status, 200);
      assert.equal((await fetch(`${adminUrl}/admin/keys`)).status, 401);
      assert.equal((await fetch(`${adminUrl}/admin/keys`, { headers: asAdmin })).status, 200);
      assert.equal((await fetch(`${adminUrl}/healthz`)).status, 200);
      assert.equal((await fetch(`${adminUrl}/v1/chat/stream?prompt=hi`)).status, 404);
      const key = await harness.createKey({ name: 'via the admin port' });
      harness.fake.setScenario({ text: 'ok' });
      const chat = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` }, body: '{"prompt":"hi"}' });
      assert.equal(chat.status, 200);
      await chat.text();
    } finally {
      await harness.close();
    }
  });
});

describe('the command line', () => {
  let folder: string;
  let environment: Record<string, string>;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'sluice-keys-cli-'));
    environment = { PATH: process.env.PATH ?? '', SLUICE_KEYS_SQLITE_PATH: join(folder, 'keys.db') };
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const sluice = (...args: string[]) => run(process.execPath, sluiceCommand(...args), { env: environment });

  test('keys create prints the key alone on stdout; list, update and revoke work on the same store', async () => {
    const created = await sluice('keys', 'create', '--name', 'cli key', '--models', 'gpt-*,claude-*', '--rpm', '30', '--budget-tokens', '5000');
    const secret = created.stdout.trim();
    assert.match(secret, /^sk-sluice-[A-Za-z0-9_-]{32}$/);
    assert.match(created.stderr, /Created key_\S+ {2}"cli key"/);
    const listed = JSON.parse((await sluice('keys', 'list', '--json')).stdout) as { id: string; name: string; models: string[]; rpm: number; budget_tokens: number }[];
    assert.equal(listed.length, 1);
    assert.deepEqual([listed[0]!.name, listed[0]!.models, listed[0]!.rpm, listed[0]!.budget_tokens], ['cli key', ['gpt-*', 'claude-*'], 30, 5000]);
    assert.ok(!JSON.stringify(listed).includes(secret));
    const id = listed[0]!.id;
    const updated = JSON.parse((await sluice('keys', 'update', id, '--rpm', 'none', '--tpm', '900', '--json')).stdout) as { rpm: number | null; tpm: number };
    assert.deepEqual([updated.rpm, updated.tpm], [null, 900]);
    assert.match((await sluice('keys', 'revoke', id)).stdout, /REVOKED/);

    const harness = await startAccessHarness({}, { keysPath: environment.SLUICE_KEYS_SQLITE_PATH! });
    try {
      const chat = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: '{"prompt":"hi"}' });
      assert.equal(chat.status, 401, 'the gateway reads the CLI’s store: the key is revoked');
    } finally {
      await harness.close();
    }
  });

  test('a key created with the CLI turns auth on in a gateway already running open, within SLUICE_KEY_CACHE_MS', async () => {
    const keysPath = join(folder, 'later.db');
    const harness = await startAccessHarness({ keyCacheMs: 100 }, { keysPath });
    try {
      harness.fake.setScenario({ text: 'ok' });
      const ask = () => fetch(`${harness.sluice.url}/v1/chat/text?prompt=hi`).then(async (response) => (await response.text(), response.status));
      assert.equal(await ask(), 200, 'open while no key exists');
      await run(process.execPath, sluiceCommand('keys', 'create', '--name', 'later'), { env: { ...environment, SLUICE_KEYS_SQLITE_PATH: keysPath } });
      const deadline = performance.now() + 3_000;
      let status = 200;
      while (status === 200 && performance.now() < deadline) status = await ask();
      assert.equal(status, 401);
    } finally {
      await harness.close();
    }
  });

  test('bad input: 2 for a usage error, 1 naming the field for a bad value', async () => {
    await assert.rejects(sluice('keys', 'frobnicate'), (error: { code?: number; stderr?: string }) => error.code === 2 && /unknown command "frobnicate"/.test(error.stderr ?? ''));
    await assert.rejects(sluice('keys', 'create', '--name', 'x', '--tpm', 'lots'), (error: { code?: number; stderr?: string }) => error.code === 1 && /"tpm"/.test(error.stderr ?? ''));
  });
});

describe('starting open', () => {
  test('on a public address with an upstream key and no client key: refused, unless SLUICE_ALLOW_OPEN; closed while the key database is unknown', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sluice-open-'));
    const base = { PATH: process.env.PATH ?? '', PORT: '0', HOST: '0.0.0.0', OPENAI_API_KEY: upstreamSecret, SLUICE_KEYS_SQLITE_PATH: join(folder, 'keys.db') };
    try {
      await assert.rejects(run(process.execPath, sluiceCommand(), { env: base }), (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr ?? '', /sluice: Refusing to start open on HOST=0\.0\.0\.0 with an upstream key.*SLUICE_ALLOW_OPEN=true/);
        assert.ok(!(error.stderr ?? '').includes(upstreamSecret));
        return true;
      });
      const allowed = await spawnSluice({ ...base, SLUICE_ALLOW_OPEN: 'true' });
      try {
        await eventually(() => allowed.logs.some((record) => String(record.msg).startsWith('No client key exists')), 'it says it runs open');
      } finally {
        await allowed.stop();
      }
      const required = await spawnSluice({ ...base, SLUICE_REQUIRE_KEYS: 'true' });
      try {
        const port = new URL(required.url).port;
        assert.equal((await fetch(`http://127.0.0.1:${port}/v1/chat/stream?prompt=hi`)).status, 401, 'keys required before the first exists');
      } finally {
        await required.stop();
      }
      // A key database that cannot be read at startup may hold keys: where Sluice must not run open, it fails closed.
      const unknown = await spawnSluice({ ...base, DATABASE_URL: `postgres://postgres@127.0.0.1:${await findFreePort()}/sluice` });
      try {
        const port = new URL(unknown.url).port;
        assert.equal((await fetch(`http://127.0.0.1:${port}/v1/chat/stream?prompt=hi`)).status, 401);
      } finally {
        await unknown.stop();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
