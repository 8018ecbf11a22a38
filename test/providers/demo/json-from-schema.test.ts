/**
 * The demo model's JSON from a schema: values that a real validator accepts. Schemas are written in zod
 * and turned into JSON Schema by zod itself, so the generator is checked against an implementation it
 * shares nothing with; `z.fromJSONSchema` checks the hand-written ones.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createValueFromSchema, placeholderString } from '../../../packages/server/src/providers/demo/json-from-schema.ts';

const recipe = z.object({
  name: z.string(),
  servings: z.number().int().min(2).max(8),
  vegetarian: z.boolean(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
  ingredients: z.array(z.object({ item: z.string(), grams: z.number().positive() })).min(3),
  tags: z.array(z.string()).max(1),
  note: z.string().nullable(),
  rating: z.number().gt(0).lt(1),
  code: z.string().min(12).max(14),
  created: z.iso.datetime(),
  contact: z.email(),
  id: z.uuid(),
  kind: z.literal('recipe'),
  source: z.union([z.object({ url: z.url() }), z.object({ book: z.string() })]),
});

test('a zod schema, through zod’s own JSON Schema, gets a value zod accepts', () => {
  const value = createValueFromSchema(z.toJSONSchema(recipe), placeholderString);
  const parsed = recipe.safeParse(value);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.equal(parsed.data.ingredients.length, 3, 'minItems wins over the usual two');
  assert.equal(parsed.data.tags.length, 1, 'maxItems wins over the usual two');
  assert.equal(parsed.data.name, 'demo name', 'a free string names its field');
  assert.deepEqual(parsed.data.ingredients[1], { item: 'demo item 2', grams: 2 }, 'array items are told apart by position');
});

test('the same schema always gets the same value', () => {
  const schema = z.toJSONSchema(recipe);
  assert.deepEqual(createValueFromSchema(schema, placeholderString), createValueFromSchema(structuredClone(schema), placeholderString));
});

test('hand-written schemas: type lists, refs into $defs, recursion, tuples, bounds, booleans', () => {
  const schemas: Record<string, unknown>[] = [
    { type: ['null', 'integer'], exclusiveMinimum: 10, maximum: 11 },
    { type: 'number', minimum: 5.5, maximum: 5.5 },
    { type: 'integer', exclusiveMaximum: -3 },
    { $defs: { Node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } }, required: ['label', 'children'] } }, $ref: '#/$defs/Node' },
    { type: 'array', prefixItems: [{ type: 'string' }, { type: 'boolean' }], items: false },
    { type: 'object', properties: { id: { const: 42 } }, required: ['id', 'extra'] },
    { type: 'object', properties: { id: { type: 'integer' } }, additionalProperties: false },
    { properties: { a: { type: 'string', maxLength: 3 } } },
    { anyOf: [{ type: 'null' }, { type: 'string', enum: ['x', 'y'] }] },
    { type: 'string', minLength: 20 },
  ];
  for (const schema of schemas) {
    const value = createValueFromSchema(schema, placeholderString);
    const parsed = z.fromJSONSchema(schema as never).safeParse(value);
    assert.ok(parsed.success, `${JSON.stringify(schema)} got ${JSON.stringify(value)}: ${JSON.stringify(parsed.error?.issues)}`);
  }
});

test('a recursive schema ends, and an unreadable one still gets a value', () => {
  const tree = { $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } }, required: ['next'] } }, $ref: '#/$defs/Node' };
  let depth = 0;
  for (let node = createValueFromSchema(tree, placeholderString) as { next?: unknown } | null; node; node = node.next as typeof node) depth += 1;
  assert.ok(depth > 4 && depth < 30, `${depth} levels`);
  assert.equal(createValueFromSchema({ $ref: 'https://example.com/schema.json' }, placeholderString), 'demo value');
  assert.equal(createValueFromSchema(false, placeholderString), null);
  assert.equal(createValueFromSchema('not a schema', placeholderString), 'demo value');
});
