/** The demo model's answers from sources and from tool results, for the cases a live collection rarely shows. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeGroundedAnswer } from '../../../packages/server/src/providers/demo/grounded-answer.ts';
import { composeToolResultAnswer, trailingToolResults } from '../../../packages/server/src/providers/demo/tool-result-answer.ts';

test('sources that share no word with the question: the answer says the documents do not answer it', () => {
  const answer = composeGroundedAnswer({ question: 'Who painted the ceiling?', sources: [{ title: 'Tides', text: 'The spring tide rises six metres.' }] });
  assert.match(answer, /None of the 1 source found for “Who painted the ceiling\?” says anything about it/);
  assert.doesNotMatch(answer, /\[1\]/);
});

test('Markdown markers are left out of a quote, and at most three sources are quoted, in their order', () => {
  const sources = [1, 2, 3, 4].map((number) => ({ title: `Part ${number}`, text: `## Heading\n\n- The ferry to Velmar leaves at ${number} o’clock.` }));
  const answer = composeGroundedAnswer({ question: 'When does the ferry to Velmar leave?', sources });
  assert.deepEqual(answer.split('\n').filter((line) => line.startsWith('- ')), [
    '- The ferry to Velmar leaves at 1 o’clock. [1]',
    '- The ferry to Velmar leaves at 2 o’clock. [2]',
    '- The ferry to Velmar leaves at 3 o’clock. [3]',
  ]);
});

test('tool results: each tool by name, JSON fields listed, plain text quoted, results of an earlier turn ignored', () => {
  const messages = [
    { role: 'user' as const, content: 'Plan my day in Lima' },
    { role: 'assistant' as const, content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'old_tool', arguments: '{}' } }] },
    { role: 'tool' as const, tool_call_id: 'a', content: 'stale' },
    { role: 'user' as const, content: 'And the weather?' },
    {
      role: 'assistant' as const,
      content: null,
      tool_calls: [
        { id: 'b', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
        { id: 'c', type: 'function', function: { name: 'get_news', arguments: '{}' } },
      ],
    },
    { role: 'tool' as const, tool_call_id: 'b', content: [{ type: 'text', text: '{"celsius":19,"wind":{"kph":12}}' }] },
    { role: 'tool' as const, tool_call_id: 'c', content: 'Markets are calm.' },
  ];
  const results = trailingToolResults(messages);
  assert.equal(results.length, 2);
  const answer = composeToolResultAnswer(messages, results, 'And the weather?');
  assert.match(answer, /asked for 2 tools to answer “And the weather\?”/);
  assert.match(answer, /`get_weather` returned:\n\n- celsius: 19\n- wind: \{"kph":12\}/);
  assert.match(answer, /`get_news` returned:\n\n> Markets are calm\./);
  assert.doesNotMatch(answer, /stale|old_tool/);
});
