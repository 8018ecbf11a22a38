import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePartialJson, streamPartialObjects, type SluiceEvent } from '@sluice/client';

const whole = {
  title: 'Grüße "x" \\ 👋',
  count: -12.5e2,
  tags: ['a', 'b', ''],
  nested: { ok: true, none: null, no: false, list: [1, [2, {}]] },
  empty: {},
};
const text = JSON.stringify(whole, null, 1);

describe('parsePartialJson', () => {
  it('parses whole JSON as complete', () => {
    assert.deepEqual(parsePartialJson(text), { value: whole, state: 'complete' });
    assert.deepEqual(parsePartialJson('12'), { value: 12, state: 'complete' });
  });

  it('reads every prefix as partial, never as invalid, with values that only grow', () => {
    for (let length = 0; length < text.length; length += 1) {
      const prefix = text.slice(0, length);
      const { value, state } = parsePartialJson(prefix);
      assert.equal(state, 'partial', `prefix ${JSON.stringify(prefix)}`);
      if (value !== undefined) assertPrefixOf(value, whole, prefix);
    }
  });

  it('keeps what an unfinished value says so far', () => {
    const cases: Array<[string, unknown]> = [
      ['{"a": "Hel', { a: 'Hel' }],
      ['{"a": "x\\', { a: 'x' }],
      ['{"a": "\\u00', { a: '' }],
      ['{"a": 1.', { a: 1 }],
      ['{"a": -', {}],
      ['{"a": tr', { a: true }],
      ['{"a": n', { a: null }],
      ['{"a', {}],
      ['{"a":', {}],
      ['{"a": 1, "b": [1, 2', { a: 1, b: [1, 2] }],
      ['[{"a": [', [{ a: [] }]],
      ['```json\n{"a": [1', { a: [1] }],
    ];
    for (const [input, expected] of cases) assert.deepEqual(parsePartialJson(input).value, expected, input);
    assert.deepEqual(parsePartialJson('```json\n{"a": 1}\n```\n'), { value: { a: 1 }, state: 'complete' });
  });

  it('says invalid when no continuation can make JSON', () => {
    for (const input of [
      '{"a" 1',
      '{a: 1}',
      '[1 2]',
      '{"a": 1.e}',
      '{"a": tx',
      'hello',
      '{"a": 1} trailing',
      '{"a": "\\q"}',
      '{"a": 01}',
    ]) {
      assert.deepEqual(parsePartialJson(input), { value: undefined, state: 'invalid' }, input);
    }
  });
});

describe('streamPartialObjects', () => {
  it('yields a growing object per token and ends with the whole object', async () => {
    async function* tokens(): AsyncGenerator<SluiceEvent> {
      yield { type: 'meta', stream_id: 's', trace_id: 't', model: 'm', created: 0 };
      for (let index = 0; index < text.length; index += 3) yield { type: 'token', delta: text.slice(index, index + 3) };
      yield { type: 'done', finish_reason: 'stop' };
    }
    const objects: unknown[] = [];
    for await (const object of streamPartialObjects<typeof whole>(tokens())) objects.push(object);
    assert.ok(objects.length > 10);
    assert.deepEqual(objects.at(-1), whole);
    assert.equal(new Set(objects.map((object) => JSON.stringify(object))).size, objects.length, 'no repeats');
  });

  it('accepts plain text deltas', async () => {
    async function* deltas(): AsyncGenerator<string> {
      yield '{"name": "Ad';
      yield 'a", "age"';
      yield ': 36}';
    }
    const objects: unknown[] = [];
    for await (const object of streamPartialObjects(deltas())) objects.push(object);
    assert.deepEqual(objects, [{ name: 'Ad' }, { name: 'Ada' }, { name: 'Ada', age: 36 }]);
  });
});

/** A partial value agrees with the whole one: strings and numbers are prefixes, containers hold a prefix. */
function assertPrefixOf(partial: unknown, full: unknown, context: string): void {
  if (typeof partial === 'string') {
    assert.ok(typeof full === 'string' && full.startsWith(partial), context);
  } else if (typeof partial === 'number') {
    assert.ok(typeof full === 'number' && String(full).startsWith(String(partial)), context);
  } else if (Array.isArray(partial)) {
    assert.ok(Array.isArray(full) && partial.length <= full.length, context);
    partial.forEach((item, index) => assertPrefixOf(item, full[index], context));
  } else if (partial !== null && typeof partial === 'object') {
    assert.ok(full !== null && typeof full === 'object', context);
    for (const [key, value] of Object.entries(partial)) assertPrefixOf(value, (full as Record<string, unknown>)[key], context);
  } else {
    assert.equal(partial, full, context);
  }
}
