import assert from 'node:assert/strict';
import { test } from 'node:test';

test('sluice/client and sluice/react resolve by their package names', async () => {
  const client = await import('sluice/client');
  assert.equal(typeof client.streamChat, 'function');
  assert.equal(typeof client.parsePartialJson, 'function');
  const react = await import('sluice/react');
  assert.equal(typeof react.useChat, 'function');
  assert.equal(typeof react.createChatStore, 'function');
});
