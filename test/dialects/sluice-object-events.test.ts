import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';

const answer = { city: 'Oslo', temperatures: [-3, 1.5], sunny: false, note: 'Snow "likely"' };
const tokens = ['{"ci', 'ty": "Os', 'lo", "temper', 'atures": [-3, 1', '.5], "sunny": fa', 'lse, "note": "Snow \\"li', 'kely\\""}'];
const responseFormat = { type: 'json_schema', json_schema: { name: 'weather', schema: { type: 'object' } } };

describe('Sluice dialect: object events for structured output', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  test('each token that changes the parse is followed by an object event with the best-effort object so far', async () => {
    assert.deepEqual(JSON.parse(tokens.join('')), answer);
    harness.fake.setScenario({ tokens, tokenIntervalMs: 5 });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'Weather?', response_format: responseFormat } });
    const events = stream.messages.map((message) => ({ event: message.event, data: JSON.parse(message.data), id: message.id }));
    const objects = events.filter((event) => event.event === 'object').map((event) => event.data.object);
    assert.deepEqual(objects.at(-1), answer);
    assert.deepEqual(objects[0], {}, 'a key cut short is left out until its value begins');
    assert.ok(objects.some((object) => object.city === 'Os'), 'a string is shown while it streams');
    assert.ok(objects.length >= 4);
    const types = events.map((event) => event.event);
    assert.equal(types.indexOf('object'), types.indexOf('token') + 1, 'the object follows the token that changed it');
    assert.equal(types.at(-1), 'done');
    const sequences = events.map((event) => Number(event.id?.split(':')[1]));
    assert.deepEqual(
      sequences,
      sequences.map((_, index) => index),
      'ids stay strictly increasing',
    );
  });

  test('a Markdown fence around the JSON does not hide the object', async () => {
    harness.fake.setScenario({ tokens: ['```json\n{"a":', ' 1}\n```'] });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'x', response_format: { type: 'json_object' } } });
    const objects = stream.messages.filter((message) => message.event === 'object').map((message) => JSON.parse(message.data).object);
    assert.deepEqual(objects.at(-1), { a: 1 });
  });

  test('without response_format there are no object events', async () => {
    harness.fake.setScenario({ tokens });
    const stream = await readStream(`${harness.sluice.url}/v1/chat/stream`, { body: { prompt: 'Weather?' } });
    assert.equal(stream.messages.filter((message) => message.event === 'object').length, 0);
    assert.equal(
      stream.messages
        .filter((message) => message.event === 'token')
        .map((message) => JSON.parse(message.data).delta)
        .join(''),
      tokens.join(''),
    );
  });
});
