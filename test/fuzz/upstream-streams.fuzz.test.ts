/**
 * Generated upstream streams for every provider wire format: a valid prefix of a recorded transcript,
 * then a fault (truncation, garbage, a line past the cap, a wrong content type, the vendor's error
 * object, secrets in the payload), read through a random client dialect. Every run must end in a typed
 * error or a real finish, leak no secret, keep the process up and its memory bounded.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { loadTranscript } from '../support/fake-provider/transcript.ts';
import type { Scenario } from '../support/fake-provider/index.ts';
import { dialectReaders, plainTextReader } from '../support/dialect-readers.ts';
import { startHarness, upstreamSecret, type Harness, type UpstreamKind } from '../support/sluice-harness.ts';
import { readStream } from '../support/sse-client.ts';
import { assertNoSecret } from '../hardening/support/assert-no-secret.ts';
import { fuzzParameters } from './support/fuzz-parameters.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const maxUpstreamEventBytes = 64 * 1024;

/** Each wire format: its recorded transcripts and how it frames one event of its own, and its error event. */
const wireFormats: Record<UpstreamKind, { transcripts: string[]; event: (data: string) => string; error: (message: string) => string; model: string }> = {
  'openai-chat': {
    transcripts: ['openai-chat-basic', 'openai-chat-usage', 'openai-chat-tool-call', 'vllm-continuous-usage', 'ollama-tool-calls'],
    event: (data) => `data: ${data}\n\n`,
    error: (message) => `data: ${JSON.stringify({ error: { message, type: 'server_error', code: null } })}\n\n`,
    model: 'gpt-test',
  },
  'openai-responses': {
    transcripts: ['openai-responses-basic', 'openai-responses-function-call', 'openai-responses-incomplete'],
    event: (data) => `event: response.output_text.delta\ndata: ${data}\n\n`,
    error: (message) => `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'server_error', message, param: null, sequence_number: 99 })}\n\n`,
    model: 'gpt-test',
  },
  'anthropic-messages': {
    transcripts: ['anthropic-basic', 'anthropic-tool-use', 'anthropic-thinking'],
    event: (data) => `event: content_block_delta\ndata: ${data}\n\n`,
    error: (message) => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`,
    model: 'claude-test',
  },
};

const secretText = fc.constantFrom(upstreamSecret, `key ${upstreamSecret.slice(0, 6)}...${upstreamSecret.slice(-4)}`, upstreamSecret.slice(4, 20));

type Fault =
  | { kind: 'none' }
  | { kind: 'garbage'; text: string }
  | { kind: 'huge-line'; bytes: number; terminated: boolean }
  | { kind: 'error-object'; message: string }
  | { kind: 'secret-in-payload'; text: string }
  | { kind: 'wrong-content-type'; contentType: string };

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant<Fault>({ kind: 'none' }),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text): Fault => ({ kind: 'garbage', text })),
  fc.record({ bytes: fc.integer({ min: maxUpstreamEventBytes + 1, max: 4 * maxUpstreamEventBytes }), terminated: fc.boolean() }).map((line): Fault => ({ kind: 'huge-line', ...line })),
  fc.tuple(fc.string({ maxLength: 40 }), secretText).map(([text, secret]): Fault => ({ kind: 'error-object', message: `${text} ${secret}` })),
  fc.tuple(secretText, fc.string({ maxLength: 40 })).map(([secret, text]): Fault => ({ kind: 'secret-in-payload', text: `${secret}${text}` })),
  fc.constantFrom('application/json', 'text/html; charset=utf-8', 'text/plain', 'application/octet-stream').map((contentType): Fault => ({ kind: 'wrong-content-type', contentType })),
);

const ending = fc.constantFrom<'end' | 'cut' | 'hang'>('end', 'cut', 'hang');

/** The raw upstream answer: the transcript's first `cutAt` bytes, then the fault, then the ending. */
function rawAnswer(kind: UpstreamKind, transcript: string, cutAt: number, chosenFault: Fault, chosenEnding: 'end' | 'cut' | 'hang'): NonNullable<Scenario['raw']> {
  const whole = loadTranscript(transcript).map((frame) => frame.text).join('');
  const prefix = whole.slice(0, Math.round(cutAt * whole.length));
  const format = wireFormats[kind];
  const chunks = [prefix];
  switch (chosenFault.kind) {
    case 'none':
      break;
    case 'garbage':
      chunks.push(`data: ${chosenFault.text.replace(/[\r\n]/g, ' ')}\n\n`);
      break;
    case 'huge-line':
      chunks.push(`data: {"text":"${'x'.repeat(chosenFault.bytes)}"}${chosenFault.terminated ? '\n\n' : ''}`);
      break;
    case 'error-object':
      chunks.push(format.error(chosenFault.message));
      break;
    case 'secret-in-payload':
      chunks.push(format.event(chosenFault.text));
      break;
    case 'wrong-content-type':
      return { contentType: chosenFault.contentType, chunks: [whole], ending: chosenEnding };
  }
  return { contentType: 'text/event-stream; charset=utf-8', chunks: chunks.filter((chunk) => chunk !== ''), ending: chosenEnding };
}

/** Error codes a client may see: Sluice's own, and Anthropic's error types in its dialect. */
const typedError = /"(upstream_error|upstream_timeout|timeout|overloaded|bad_request|rate_limited|api_error|overloaded_error|timeout_error|invalid_request_error|not_found_error|not_found)"/;

for (const kind of Object.keys(wireFormats) as UpstreamKind[]) {
  describe(`fuzzed ${kind} upstream streams`, () => {
    let harness: Harness;
    before(async () => {
      harness = await startHarness({ maxUpstreamEventBytes, idleTimeoutMs: 300, firstTokenTimeoutMs: 1500, heartbeatMs: 60_000 }, { upstream: kind });
    });
    after(() => harness.close());

    test('every stream ends in a typed error or a real finish, with no secret, in bounded memory', async () => {
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...wireFormats[kind].transcripts),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fault,
          ending,
          fc.constantFrom(...dialectReaders),
          async (transcript, cutAt, chosenFault, chosenEnding, reader) => {
            harness.fake.setScenario({ raw: rawAnswer(kind, transcript, cutAt, chosenFault, chosenEnding) });
            const stream = await readStream(`${harness.sluice.url}${reader.path}`, { body: { ...reader.body('fuzz'), model: wireFormats[kind].model } });
            const raw = stream.raw();
            assertNoSecret(raw, [upstreamSecret], `${upstreamSecret.slice(0, 6)}...${upstreamSecret.slice(-4)}`);
            if (stream.status !== 200) {
              assert.ok(stream.status >= 400 && stream.status < 600, `status ${stream.status}`);
              assert.match(raw, typedError, raw);
              return;
            }
            const summary = reader.summarize(stream.messages, stream);
            assert.notEqual(summary.ending, 'none', `${reader.name} ended without a finish or an error: ${raw.slice(-500)}`);
            if (summary.ending === 'error' && reader.carries.errorCode) assert.ok(summary.errorCode, `an error without a code: ${raw.slice(-300)}`);
          },
        ),
        fuzzParameters(30),
      );
      collectGarbage();
      const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;
      assert.ok(heapGrowthMiB < 32, `the heap grew by ${heapGrowthMiB.toFixed(1)} MiB over the runs`);
      assert.equal((await fetch(`${harness.sluice.url}/healthz`)).status, 200);
    });
  });
}

describe('fuzzed failures in the plain-text dialect', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ heartbeatMs: 60_000 });
  });
  after(() => harness.close());

  test('everything written before a failure reaches the client, then the error line, then the cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 1, maxLength: 12 }).filter((token) => !token.includes('\r')), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.constantFrom<'cut' | 'garbage' | 'error-event'>('cut', 'garbage', 'error-event'),
        async (tokens, at, kind) => {
          const afterTokens = at % (tokens.length + 1);
          harness.fake.setScenario({ tokens, fault: { afterTokens, kind } });
          const stream = await readStream(`${harness.sluice.url}${plainTextReader.path}`, { body: plainTextReader.body('fuzz') });
          const summary = plainTextReader.summarize(stream.messages, stream);
          assert.equal(summary.ending, 'error', stream.raw());
          assert.equal(summary.text, tokens.slice(0, afterTokens).join(''));
          assert.equal(stream.complete(), false, 'the chunked body was cut, not ended');
        },
      ),
      fuzzParameters(40),
    );
  });
});
