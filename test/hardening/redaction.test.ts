/**
 * No configured secret, whole or in part, reaches a client or a log line, whatever the upstream quotes:
 * in its error bodies, in malformed data, in its own error events; in every client dialect.
 */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Scenario } from '../support/fake-provider/index.ts';
import { dialectReaders } from '../support/dialect-readers.ts';
import { startHarness, upstreamKinds, upstreamSecret, type Harness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';
import { assertNoSecret } from './support/assert-no-secret.ts';

const redisPassword = 'redis-Pa55word-0f-SLUICE';
const databasePassword = 'pg-h0rse-battery-STAPLE';
const embeddingsKey = 'emb-KEY-9c1d2e3f4a5b6c7d';
const secrets = [upstreamSecret, redisPassword, databasePassword, embeddingsKey];
// What OpenAI's 401 quotes: the first few and the last four characters.
const maskedKey = `${upstreamSecret.slice(0, 6)}...${upstreamSecret.slice(-4)}`;
const quoting = `Incorrect API key provided: ${maskedKey}; the key ${upstreamSecret} (redis://:${redisPassword}@db, postgres://u:${databasePassword}@pg, ${embeddingsKey}, part ${upstreamSecret.slice(5, 17)})`;

/** Every way an upstream can put text in front of a client. */
const leaks: { name: string; scenario: Scenario }[] = [
  { name: 'an error status whose body quotes the secrets', scenario: { status: 400, errorBody: { error: { message: quoting, type: 'invalid_request_error' } } } },
  { name: 'a plain-text error body quoting them', scenario: { status: 500, errorBody: quoting } },
  { name: 'malformed data mid-stream that starts with them', scenario: { fault: { afterTokens: 2, kind: 'garbage', data: `${upstreamSecret} ${quoting}` } } },
];

/** Each client dialect, streaming, plus the three that also answer in one JSON body. */
const clients = [
  ...dialectReaders.map((reader) => ({ name: reader.name, path: reader.path, body: reader.body('hi') })),
  ...dialectReaders
    .filter((reader) => ['/v1/chat/completions', '/v1/messages', '/v1/responses'].includes(reader.path))
    .map((reader) => ({ name: `${reader.name}, not streaming`, path: reader.path, body: { ...reader.body('hi'), stream: false } })),
  { name: 'resumable sluice events', path: '/v1/chat/stream', body: { prompt: 'hi', model: 'gpt-test', resumable: true } },
];

for (const upstream of upstreamKinds) {
  describe(`redaction, ${upstream} upstream`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startHarness(
        {
          // Nothing listens there: Sluice serves on without Redis, and its outage lines are logged too.
          redisUrl: `redis://:${redisPassword}@127.0.0.1:1`,
          databaseUrl: `postgres://u:${databasePassword}@127.0.0.1:1/none`,
          embeddingsApiKey: embeddingsKey,
        },
        { upstream },
      );
    });
    beforeEach(() => {
      harness.logs.length = 0;
    });
    after(() => harness.close());

    for (const leak of leaks) {
      for (const client of clients) {
        test(`${leak.name}: ${client.name} sees no secret`, async () => {
          harness.fake.setScenario(leak.scenario);
          const stream = await readStream(`${harness.sluice.url}${client.path}`, { body: client.body });
          const text = stream.raw();
          assert.ok(stream.status >= 400 || /error/i.test(text), `${client.name} got no error: ${stream.status} ${text}`);
          assertNoSecret(text, secrets, maskedKey);
          harness.sluice.logger.flush();
          assertNoSecret(JSON.stringify(harness.logs), secrets, maskedKey);
        });
      }
    }
  });
}

describe('redaction of an upstream error event', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  for (const client of clients) {
    test(`an OpenAI error chunk quoting the key: ${client.name} sees the error, not the key`, async () => {
      harness.fake.setScenario({ fault: { afterTokens: 1, kind: 'garbage', data: JSON.stringify({ error: { message: quoting, type: 'server_error' } }) } });
      const stream = await readStream(`${harness.sluice.url}${client.path}`, { body: client.body });
      assert.match(stream.raw(), /Incorrect API key provided: \[redacted\]/);
      assertNoSecret(stream.raw(), [upstreamSecret], maskedKey);
      harness.sluice.logger.flush();
      assertNoSecret(JSON.stringify(harness.logs), [upstreamSecret], maskedKey);
    });
  }
});

test('the log line of an error that quotes a secret keeps the message and loses the secret', async () => {
  const harness = await startHarness();
  try {
    harness.sluice.logger.error({ err: new Error(`connect failed for ${upstreamSecret}`), note: maskedKey }, `upstream said ${upstreamSecret.slice(3, 14)}`);
    harness.sluice.logger.flush();
    const line = harness.logs.at(-1)!;
    assert.match(String(line.msg), /^upstream said \[redacted\]/);
    assert.match(JSON.stringify(line.err), /connect failed for \[redacted\]/);
    assert.equal(line.note, '[redacted]');
  } finally {
    await harness.close();
  }
});
