/** The contract every key store keeps: the SQLite and PostgreSQL stores run the same tests. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClientKey, hashClientKey } from '../../packages/server/src/keys/client-key.ts';
import type { ClientKeyFields, KeyStore } from '../../packages/server/src/keys/key-store.ts';

const fields: ClientKeyFields = {
  name: 'team-a',
  models: ['gpt-4o-mini', 'claude-*'],
  requestsPerMinute: 60,
  tokensPerMinute: 40_000,
  budgetTokens: 1_000_000,
  budgetUsd: 12.5,
  expiresAt: '2031-01-02T03:04:05.000Z',
  metadata: { team: 'a', cost_center: 7 },
};

export function keyStoreContract(open: () => Promise<KeyStore>): void {
  test('a key is found by the hash of its secret, never stores the secret, and lists with its fields', async () => {
    const store = await open();
    try {
      const key = createClientKey();
      const created = await store.create({ ...fields, id: key.id, hash: key.hash, hint: key.hint });
      assert.deepEqual(
        { ...created, createdAt: undefined },
        { ...fields, id: key.id, hint: key.hint, createdAt: undefined, revokedAt: null, spentTokens: 0, spentUsd: 0 },
      );
      assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
      assert.deepEqual(await store.findByHash(hashClientKey(key.secret)), created);
      assert.equal(await store.findByHash(hashClientKey(`${key.secret}x`)), undefined);
      assert.deepEqual(await store.get(key.id), created);
      assert.ok(!JSON.stringify(await store.list()).includes(key.secret), 'no secret in a listing');
      assert.ok((await store.count()) >= 1);
    } finally {
      await store.close();
    }
  });

  test('an update changes the given fields only, null clears a limit, an unknown id is undefined', async () => {
    const store = await open();
    try {
      const key = createClientKey();
      await store.create({ ...fields, id: key.id, hash: key.hash, hint: key.hint });
      const updated = await store.update(key.id, { requestsPerMinute: null, models: null, name: 'team-b', metadata: { moved: true } });
      assert.equal(updated?.name, 'team-b');
      assert.equal(updated?.requestsPerMinute, null);
      assert.equal(updated?.models, null);
      assert.deepEqual(updated?.metadata, { moved: true });
      assert.equal(updated?.tokensPerMinute, fields.tokensPerMinute);
      assert.equal(updated?.expiresAt, fields.expiresAt);
      assert.equal(await store.update('key_missing', { name: 'x' }), undefined);
    } finally {
      await store.close();
    }
  });

  test('a revoke is kept (its time does not move on a second revoke) and the key still counts', async () => {
    const store = await open();
    try {
      const key = createClientKey();
      await store.create({ ...fields, id: key.id, hash: key.hash, hint: key.hint });
      const first = await store.revoke(key.id);
      assert.ok(first?.revokedAt);
      const second = await store.revoke(key.id);
      assert.equal(second?.revokedAt, first.revokedAt);
      assert.equal(await store.revoke('key_missing'), undefined);
      assert.ok((await store.count()) >= 1);
    } finally {
      await store.close();
    }
  });

  test('charges (of one request or several) add up per model and on the key, and survive reopening', async () => {
    const key = createClientKey();
    let store = await open();
    try {
      await store.create({ ...fields, id: key.id, hash: key.hash, hint: key.hint });
      await store.charge(key.id, { model: 'gpt-4o-mini', requests: 1, promptTokens: 10, completionTokens: 5, estimatedRequests: 0, costUsd: 0.25 });
      await Promise.all([
        store.charge(key.id, { model: 'gpt-4o-mini', requests: 1, promptTokens: 1, completionTokens: 2, estimatedRequests: 1, costUsd: 0.5 }),
        store.charge(key.id, { model: 'claude-x', requests: 2, promptTokens: 100, completionTokens: 0, estimatedRequests: 0, costUsd: 0 }),
      ]);
    } finally {
      await store.close();
    }
    store = await open();
    try {
      const reopened = await store.get(key.id);
      assert.equal(reopened?.spentTokens, 118);
      assert.equal(reopened?.spentUsd, 0.75);
      assert.deepEqual(await store.usageOf(key.id), [
        { model: 'claude-x', requests: 2, promptTokens: 100, completionTokens: 0, estimatedRequests: 0, costUsd: 0 },
        { model: 'gpt-4o-mini', requests: 2, promptTokens: 11, completionTokens: 7, estimatedRequests: 1, costUsd: 0.75 },
      ]);
      const spent = await store.charge(key.id, { model: 'claude-x', requests: 1, promptTokens: 2, completionTokens: 0, estimatedRequests: 0, costUsd: 0.25 });
      assert.deepEqual(spent, { spentTokens: 120, spentUsd: 1 });
    } finally {
      await store.close();
    }
  });
}
