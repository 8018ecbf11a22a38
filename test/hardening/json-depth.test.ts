/** JSON nested past the depth limit is a 400 naming the limit on every JSON endpoint, never a 500 or a 502. */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { maxJsonDepth } from '../../packages/server/src/server/http/check-json-depth.ts';
import { startHarness, type Harness } from '../support/sluice-harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness({ retrievalSqlitePath: ':memory:' });
});
after(() => harness.close());

// As text: building 10,000 levels as values and stringifying them overflows the test's own stack.
const nested = (depth: number): string => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const messagesWith = (content: string): string => `[{"role":"user","content":${content}}]`;

const cases: { name: string; path: string; body: (depth: number) => string }[] = [
  { name: 'content nested in arrays', path: '/v1/chat/completions', body: (depth) => `{"model":"gpt-test","messages":${messagesWith(nested(depth))}}` },
  { name: 'a deep unknown field', path: '/v1/chat/completions', body: (depth) => `{"model":"gpt-test","messages":${messagesWith('"hi"')},"extra":${deepObject(depth)}}` },
  { name: 'a deep tool_choice', path: '/v1/chat/completions', body: (depth) => `{"model":"gpt-test","messages":${messagesWith('"hi"')},"tool_choice":${deepObject(depth)}}` },
  { name: 'content nested in arrays', path: '/v1/messages', body: (depth) => `{"model":"gpt-test","max_tokens":8,"messages":${messagesWith(nested(depth))}}` },
  { name: 'a deep metadata', path: '/v1/messages', body: (depth) => `{"model":"gpt-test","max_tokens":8,"messages":${messagesWith('"hi"')},"metadata":${deepObject(depth)}}` },
  { name: 'a deep input', path: '/v1/responses', body: (depth) => `{"model":"gpt-test","input":${nested(depth)}}` },
  { name: 'deep messages', path: '/v1/ui-message-stream', body: (depth) => `{"messages":${nested(depth)}}` },
  { name: 'a deep prompt', path: '/v1/chat/stream', body: (depth) => `{"prompt":${nested(depth)}}` },
  { name: 'a deep prompt', path: '/v1/chat/text', body: (depth) => `{"prompt":${nested(depth)}}` },
  { name: 'deep metadata', path: '/v1/collections/deep/documents', body: (depth) => `{"id":"a","title":"a","text":"a","metadata":${deepObject(depth)}}` },
];

for (const { name, path, body } of cases) {
  test(`${path}, ${name} 10,000 levels deep: 400 naming the limit`, async () => {
    const response = await fetch(`${harness.sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(10_000) });
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.match(text, new RegExp(`nested deeper than ${maxJsonDepth} levels`));
  });
}

test(`nesting of exactly ${maxJsonDepth} levels is accepted, and brackets inside strings do not count`, async () => {
  const body = `{"model":"gpt-test","metadata":${deepObject(maxJsonDepth - 1)},"messages":${messagesWith(JSON.stringify('['.repeat(10_000) + '{"'.repeat(10_000)))}}`;
  const response = await fetch(`${harness.sluice.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(response.status, 200, await response.text());
});
