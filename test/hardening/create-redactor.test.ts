import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configuredSecrets } from '../../packages/server/src/server/config/configured-secrets.ts';
import { loadSettings } from '../../packages/server/src/server/config/settings.ts';
import { createRedactor } from '../../packages/server/src/server/observability/create-redactor.ts';

const key = 'sk-proj-A1b2C3d4E5f6G7h8I9j0';

test('a secret whole, any eight of its characters in a row, and its masked quotations are redacted', () => {
  const redact = createRedactor([key]);
  assert.equal(redact(`key ${key} ok`), 'key [redacted] ok');
  assert.equal(redact(`part ${key.slice(9, 17)}!`), 'part [redacted]!');
  assert.equal(redact(`Incorrect API key provided: sk-pro...I9j0.`), 'Incorrect API key provided: [redacted].');
  assert.equal(redact(`sk-pr********************I9j0 and sk-p…j0`), '[redacted] and [redacted]');
  // The words the mask stands between go whole, with whatever ran on into them.
  assert.equal(redact(`key=sk-pro...I9j0G"}`), '[redacted]"}');
  // Seven characters of it, or a mask around words it does not start and end with, are ordinary text.
  assert.equal(redact(`${key.slice(9, 16)} and abc...wxyz`), `${key.slice(9, 16)} and abc...wxyz`);
});

test('text without a secret comes back as the same string, and no secrets means no work', () => {
  const text = 'The upstream failed (HTTP 500): try again later...';
  assert.equal(createRedactor([key])(text), text);
  assert.equal(createRedactor([])(text), text);
  // A secret too short to redact without mangling ordinary words is left out.
  assert.equal(createRedactor(['ab'])('absent'), 'absent');
  assert.equal(createRedactor(['hunter2'])('password hunter2!'), 'password [redacted]!');
  // A made-up key of words does not take the words out of every sentence; the key itself still goes.
  assert.equal(createRedactor(['sk-embeddings-secret'])('Embeddings failed for sk-embeddings-secret'), 'Embeddings failed for [redacted]');
});

test('the secrets of the settings: keys, the admin token, URL passwords (not the rest of the URL), credentials inside SLUICE_PROVIDERS', () => {
  const settings = loadSettings({
    OPENAI_API_KEY: key,
    ANTHROPIC_API_KEY: 'sk-ant-api03-zzzzzzzz',
    SLUICE_EMBEDDINGS_API_KEY: 'emb-key-123456',
    REDIS_URL: 'redis://user:p%40ss-word-42@redis.internal:6379',
    DATABASE_URL: 'postgres://sluice:pg-secret-77@db.internal/sluice',
    SLUICE_PROVIDERS: JSON.stringify({ local: { type: 'openai-chat', baseUrl: 'http://localhost:8000/v1', apiKey: 'local-key-000111' } }),
    SLUICE_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  });
  assert.deepEqual(
    configuredSecrets(settings).sort(),
    [key, 'admin-token-0123456789abcdef', 'emb-key-123456', 'local-key-000111', 'p%40ss-word-42', 'p@ss-word-42', 'pg-secret-77', 'sk-ant-api03-zzzzzzzz'].sort(),
  );
  const redact = createRedactor(configuredSecrets(settings));
  assert.equal(redact('Redis at redis.internal:6379 refused p@ss-word-42'), 'Redis at redis.internal:6379 refused [redacted]');
});
