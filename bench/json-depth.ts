/**
 * What the depth check before JSON.parse costs on request bodies of three shapes, beside JSON.parse itself:
 * `node --conditions=sluice-source bench/json-depth.ts`.
 */
import { checkJsonDepth } from '../packages/server/src/server/http/check-json-depth.ts';
const small = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: Array.from({ length: 8 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'Lorem ipsum dolor sit amet '.repeat(10) })) });
const big = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(1_000_000) }] });
const manyBrackets = JSON.stringify({ model: 'm', messages: Array.from({ length: 2000 }, () => ({ role: 'user', content: [{ type: 'text', text: 'hello' }] })) });
for (const [name, text] of [['2 KB chat body', small], ['1 MB one-message body', big], ['190 KB body, 6,000 brackets', manyBrackets]] as const) {
  const rounds = name.startsWith('2') ? 200_000 : 200;
  for (let i = 0; i < rounds / 10; i++) checkJsonDepth(text);
  let t = performance.now();
  for (let i = 0; i < rounds; i++) checkJsonDepth(text);
  const check = (performance.now() - t) / rounds;
  t = performance.now();
  for (let i = 0; i < rounds; i++) JSON.parse(text);
  const parse = (performance.now() - t) / rounds;
  console.log(`${name} (${text.length} chars): check ${(check * 1000).toFixed(2)} µs, JSON.parse ${(parse * 1000).toFixed(2)} µs`);
}
