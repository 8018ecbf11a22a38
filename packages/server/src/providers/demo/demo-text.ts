/**
 * The demo model's answers: deterministic for a prompt, in Markdown, with multi-byte text (Korean,
 * emoji) so that every surface shows UTF-8 handled right without an API key.
 */

import { hashText } from './hash-text.ts';
import { quoteQuestion } from './shorten-line.ts';

const openings = [
  'This answer comes from **sluice-demo**, the built-in demo model: no API key is set, so nothing left this machine.',
  'You are talking to **sluice-demo**, Sluice\'s built-in demo model. Set `OPENAI_API_KEY` to reach a real one.',
  '**sluice-demo** here, the demo model that ships with Sluice. Its words are canned, but the stream is real.',
];

const bodies = [
  'Each token you see travelled the same path a real model\'s would: provider, pipeline, dialect, writer, socket. Close the tab and the generation stops within milliseconds.',
  'Streaming done right means the first token arrives as soon as it exists, quiet moments are filled with heartbeats, and a slow reader never makes the server hoard memory.',
  'A dropped connection is not the end of an answer: with resumable streams the client reconnects with `Last-Event-ID` and picks up exactly where it stopped.',
  'Multi-byte text crosses the wire intact: 안녕하세요, 스트리밍 테스트입니다. Emoji too: 🚀🌊✨, even when a character is split between two network packets.',
];

const closings = [
  'Here is a tiny example of reading the stream in a browser:\n\n```js\nconst source = new EventSource(\'/v1/chat/stream?prompt=hello\');\nsource.addEventListener(\'token\', (event) => console.log(JSON.parse(event.data).delta));\n```',
  'A short list of what Sluice watches for you:\n\n- time to first token\n- the gap between tokens\n- the total time of a stream',
  'That is all the demo model knows. 끝! 👋',
];

function pick<T>(items: readonly T[], seed: number): T {
  return items[seed % items.length] as T;
}

/** Two different items, chosen by the seed. */
function pickTwo<T>(items: readonly T[], seed: number): [T, T] {
  const first = seed % items.length;
  const second = (first + 1 + ((seed >>> 5) % (items.length - 1))) % items.length;
  return [items[first] as T, items[second] as T];
}

export function composeDemoAnswer(prompt: string): string {
  const seed = hashText(prompt);
  return [
    pick(openings, seed),
    `You asked: ${quoteQuestion(prompt)}.`,
    ...pickTwo(bodies, seed >>> 3),
    pick(closings, seed >>> 11),
  ].join('\n\n');
}
