/**
 * Retrieval with the demo model, no key needed: sources first, then an answer quoted from them with
 * `[n]` citations that `done` lists, and never a word of the grounding prompt.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { readStream } from '../support/sse-client.ts';
import { answerText, eventOrder, parseEvents, requestJson } from './rag-support.ts';

const documents = [
  { id: 'tides', title: 'Tides of Velmar', text: '# Tides\n\nThe harbour is old. The spring tide at Velmar harbour rises six metres. Neap tides are calmer.' },
  { id: 'lamps', title: 'Lighthouse lamps', text: 'The Velmar lighthouse burns whale oil in winter. Its lamp was rebuilt in 1911 [2].' },
  { id: 'fish', title: 'Fish market', text: 'Cod is sold at dawn on the quay.' },
];

let sluice: SluiceInstance;
let directory: string;
before(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-demo-rag-'));
  sluice = await startSluice({ port: 0, host: '127.0.0.1', logLevel: 'silent', demoTokensPerSecond: 4000, demoFirstTokenDelayMs: 0, retrievalSqlitePath: join(directory, 'retrieval.db') });
  const upload = await requestJson(sluice.url, 'POST', '/v1/collections/harbour/documents', { documents });
  assert.equal(upload.status, 200, JSON.stringify(upload.body));
});
after(async () => {
  await sluice.close();
  rmSync(directory, { recursive: true, force: true });
});

async function askGrounded(question: string) {
  const stream = await readStream(`${sluice.url}/v1/chat/stream`, { body: { messages: [{ role: 'user', content: question }], retrieval: { collection: 'harbour' } } });
  assert.equal(stream.status, 200, stream.raw());
  const events = parseEvents(stream.messages);
  return { events, text: answerText(events), sources: events.find((event) => event.event === 'sources')!.data.sources as { id: string }[], done: events.at(-1)!.data };
}

test('the answer quotes the sources that bear on the question, cites them [n], and done lists the citations', async () => {
  const { events, text, sources, done } = await askGrounded('How high does the spring tide rise at Velmar harbour?');
  assert.deepEqual(eventOrder(events), ['meta', 'sources', 'token', 'usage', 'done']);
  assert.equal(events[0]!.data.demo, true);
  const tides = sources.findIndex((source) => source.id === 'tides') + 1;
  assert.ok(tides > 0, 'the tides document was found');
  assert.ok(text.includes(`- The spring tide at Velmar harbour rises six metres. [${tides}]`), text);
  assert.ok(done.citations.includes(tides), JSON.stringify(done));
  assert.equal(done.finish_reason, 'stop');
  for (const promptText of ['Answer the question using', '<source', 'Question:', 'reference material']) assert.ok(!text.includes(promptText), `the answer echoes "${promptText}": ${text}`);
});

test('a bracketed number in a source is not taken for a citation of another source', async () => {
  const { text, sources, done } = await askGrounded('When was the lighthouse lamp rebuilt?');
  const lamps = sources.findIndex((source) => source.id === 'lamps') + 1;
  assert.ok(text.includes(`Its lamp was rebuilt in 1911 (2). [${lamps}]`), text);
  assert.deepEqual(done.citations, [lamps]);
});

test('a question no document matches gets an answer that says so, and no citations', async () => {
  const { text, sources, done } = await askGrounded('zebra migration');
  assert.deepEqual(sources, []);
  assert.match(text, /No document in this collection matched “zebra migration”/);
  assert.deepEqual(done.citations, []);
});

test('through the OpenAI dialect the citations come as sluice_citations', async () => {
  const answer = await requestJson(sluice.url, 'POST', '/v1/chat/completions', {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Which oil does the Velmar lighthouse burn?' }],
    retrieval: { collection: 'harbour', top_k: 3 },
  });
  const body = answer.body as { choices: { message: { content: string } }[]; sluice_sources: { id: string }[]; sluice_citations: number[] };
  const lamps = body.sluice_sources.findIndex((source) => source.id === 'lamps') + 1;
  assert.ok(body.choices[0]!.message.content.includes(`The Velmar lighthouse burns whale oil in winter. [${lamps}]`), body.choices[0]!.message.content);
  assert.ok(body.sluice_citations.includes(lamps));
});
