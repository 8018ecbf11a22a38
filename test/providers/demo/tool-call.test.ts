/** Which tool the demo model calls, and with what: arguments that a validator of the tool's schema accepts. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { chooseTool } from '../../../packages/server/src/providers/demo/choose-tool.ts';
import type { DemoTool } from '../../../packages/server/src/providers/demo/read-demo-parameters.ts';
import { createToolArguments, findSubject } from '../../../packages/server/src/providers/demo/tool-arguments.ts';

const weather: DemoTool = {
  name: 'getWeather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 }, note: { type: 'string' } },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
};
const search: DemoTool = { name: 'search_docs', description: 'Full-text search over the handbook', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } };
const tools = [search, weather];

test('the tool whose name and description share the most words with the prompt is called; the first on a tie', () => {
  assert.equal(chooseTool(tools, 'auto', 'What is the weather in Oslo?')?.name, 'getWeather');
  assert.equal(chooseTool(tools, 'required', 'Search the handbook for parental leave')?.name, 'search_docs');
  assert.equal(chooseTool(tools, 'auto', 'hello there')?.name, 'search_docs');
});

test('tool_choice decides first: a named tool is called whatever the prompt, none calls nothing', () => {
  assert.equal(chooseTool(tools, { name: 'search_docs' }, 'What is the weather in Oslo?')?.name, 'search_docs');
  assert.equal(chooseTool(tools, 'none', 'What is the weather in Oslo?'), undefined);
  assert.equal(chooseTool([], 'auto', 'What is the weather in Oslo?'), undefined);
});

test('arguments fit the schema, and the first free string is what the prompt is about', () => {
  const argumentsValue = createToolArguments(weather.parameters, 'What is the weather in Oslo today?');
  const parsed = z.fromJSONSchema(weather.parameters as never).safeParse(argumentsValue);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.deepEqual(argumentsValue, { unit: 'celsius', city: 'Oslo', days: 1, note: 'demo note' });
  assert.deepEqual(createToolArguments(search.parameters, 'parental leave rules?'), { query: 'parental leave rules' });
});

test('a tool without a parameter schema, or with one that is not an object, is called with {}', () => {
  assert.deepEqual(createToolArguments({}, 'Hi'), {});
  assert.deepEqual(createToolArguments({ type: 'string' }, 'Hi'), {});
});

test('the subject of a prompt: names that do not start a sentence, else the prompt shortened', () => {
  assert.equal(findSubject('What is the weather in New York and Paris?'), 'New York, Paris');
  assert.equal(findSubject('Can I fly from iOS to Lima? Thanks.'), 'Lima');
  assert.equal(findSubject('  weather   in oslo  '), 'weather in oslo');
  assert.equal(findSubject('x'.repeat(100)), `${'x'.repeat(59)}…`);
});
