/**
 * Two Sluice instances sharing one PostgreSQL (their keys) and one Redis (their counts and streams): a
 * key created through one turns auth on in both; requests and tokens per minute hold for the sum of
 * both instances' admissions; a stream started on one belongs to its key on the other too. Nothing
 * either of them logs, exposes as a metric or answers ever holds a key.
 */

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startPostgres, type TemporaryPostgres } from '../retrieval/start-postgres.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';
import { eventually, upstreamSecret } from '../support/sluice-harness.ts';
import { openStream, readStream } from '../support/sse-client.ts';
import { startRedis, type TemporaryRedis } from '../support/start-redis.ts';
import { awayFromWindowEnd } from './rate-limiter-contract.ts';
import { adminToken, type CreatedKey } from './access-harness.ts';

let redis: TemporaryRedis;
let postgres: TemporaryPostgres;
let fake: FakeProvider;
const instances: SluiceInstance[] = [];
/** Every byte either instance logged. */
let logged = '';
const secrets: string[] = [];

async function createKey(on: SluiceInstance, fields: Record<string, unknown>): Promise<CreatedKey> {
  const response = await fetch(`${on.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(fields) });
  assert.equal(response.status, 201);
  const created = (await response.json()) as CreatedKey;
  secrets.push(created.key);
  return created;
}

function chat(on: SluiceInstance, key: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${on.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
}

before(async () => {
  [redis, postgres, fake] = await Promise.all([startRedis(), startPostgres(), startFakeProvider()]);
  const databaseUrl = await postgres.createDatabase();
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged += chunk.toString('utf8');
      callback();
    },
  });
  for (let index = 0; index < 2; index += 1) {
    instances.push(
      await startSluice(
        { port: 0, host: '127.0.0.1', openaiBaseUrl: fake.url, openaiApiKey: upstreamSecret, redisUrl: redis.url, databaseUrl, adminToken, keyCacheMs: 200, logLevel: 'info' },
        { logDestination },
      ),
    );
  }
});

after(async () => {
  await Promise.all(instances.map((instance) => instance.close()));
  await fake?.close();
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

describe('two instances, one PostgreSQL, one Redis', () => {
  test('a key created through one instance turns auth on in both', async () => {
    const [one, two] = instances as [SluiceInstance, SluiceInstance];
    fake.setScenario({ text: 'open' });
    assert.equal((await chat(two, 'anything', { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).status, 200, 'open before the first key');
    const key = await createKey(one, { name: 'first' });
    assert.equal((await chat(one, 'sk-sluice-wrong', { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).status, 401, 'at once where it was created');
    let status = 200;
    const deadline = performance.now() + 3_000;
    while (status === 200 && performance.now() < deadline) status = (await chat(two, 'sk-sluice-wrong', { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).status;
    assert.equal(status, 401, 'within SLUICE_KEY_CACHE_MS on the other');
    assert.equal((await chat(two, key.key, { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).status, 200, 'the key works on both');
  });

  test('requests per minute: the sum of both instances’ admissions is the limit', async () => {
    await awayFromWindowEnd();
    const key = await createKey(instances[0]!, { name: 'shared rpm', rpm: 12 });
    fake.setScenario({ text: 'ok' });
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, index) => chat(instances[index % 2]!, key.key, { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }).then((response) => response.status)));
    assert.equal(statuses.filter((status) => status === 200).length, 12);
    assert.equal(statuses.filter((status) => status === 429).length, 28);
  });

  test('tokens per minute: streams in flight on both hold their reservations until they settle, then none is left', async () => {
    await awayFromWindowEnd();
    const key = await createKey(instances[1]!, { name: 'shared tpm', tpm: 1_000 });
    fake.setScenario({ text: 'one two three four five', tokenIntervalMs: 60 });
    // Each reserves its max_tokens and a prompt of 8 tokens: four fit in 1,000.
    const messages = [{ role: 'user', content: 'hi' }];
    const body = { model: 'gpt-test', messages, max_tokens: 200, stream: true };
    const streams = await Promise.all(Array.from({ length: 10 }, (_, index) => chat(instances[index % 2]!, key.key, body)));
    assert.equal(streams.filter((response) => response.status === 200).length, 4);
    const refused = streams.find((response) => response.status === 429)!;
    assert.equal(refused.headers.get('x-ratelimit-limit-tokens'), '1000');
    await Promise.all(streams.map((response) => response.text()));
    const usageUrl = `${instances[0]!.url}/admin/keys/${key.id}/usage`;
    let usage: any;
    const deadline = performance.now() + 5_000;
    do usage = await (await fetch(usageUrl, { headers: { authorization: `Bearer ${adminToken}` } })).json();
    while ((usage.requests < 4 || usage.current_minute.reserved_tokens > 0) && performance.now() < deadline);
    assert.equal(usage.requests, 4);
    assert.equal(usage.current_minute.reserved_tokens, 0, 'every reservation settled');
    assert.equal(usage.current_minute.tokens, usage.total_tokens);
  });

  test('a stream belongs to its key on the other instance too', async () => {
    const [one, two] = instances as [SluiceInstance, SluiceInstance];
    const [owner, stranger] = await Promise.all([createKey(one, { name: 'owner' }), createKey(two, { name: 'stranger' })]);
    fake.setScenario({ text: Array.from({ length: 60 }, (_, index) => `t${index}`).join(' '), tokenIntervalMs: 8 });
    const first = await openStream(`${one.url}/v1/chat/stream`, { body: { prompt: 'mine', resumable: true }, headers: { authorization: `Bearer ${owner.key}` } });
    await eventually(() => first.messages.length > 3, 'a few events');
    const streamId = JSON.parse(first.messages[0]!.data).stream_id as string;
    const lastEventId = first.messages.at(-1)!.id!;
    first.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const asStranger = { authorization: `Bearer ${stranger.key}` };
    assert.equal((await fetch(`${two.url}/v1/streams/${streamId}`, { headers: asStranger })).status, 404);
    assert.equal((await fetch(`${two.url}/v1/streams/${streamId}`, { method: 'DELETE', headers: asStranger })).status, 404);
    const rest = await readStream(`${two.url}/v1/streams/${streamId}`, { headers: { authorization: `Bearer ${owner.key}`, 'last-event-id': lastEventId } });
    assert.equal(rest.status, 200);
    assert.equal(JSON.parse(rest.messages.at(-1)!.data).type, 'done');
  });

  test('no key appears in any log line, metric or listing', async () => {
    const metrics = await Promise.all(instances.map(async (instance) => (await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text()));
    const listing = await (await fetch(`${instances[1]!.url}/admin/keys`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    assert.match(metrics.join(''), /sluice_usage_tokens_total\{key="shared tpm",type="completion"\}/, 'usage is labelled with the key name');
    assert.ok(secrets.length >= 5);
    for (const secret of secrets) {
      for (const [where, text] of [['the logs', logged], ['the metrics', metrics.join('')], ['the listing', listing]] as const) {
        assert.ok(!text.includes(secret), `a key in ${where}`);
        assert.ok(!text.includes(secret.slice(10, 26)), `part of a key in ${where}`);
      }
    }
    assert.ok(!logged.includes(upstreamSecret) && !listing.includes(adminToken) && !logged.includes(adminToken));
  });
});
