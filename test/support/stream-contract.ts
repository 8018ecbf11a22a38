/**
 * The behaviour every streaming route must share, for one client dialect read from one upstream
 * adapter: exact text, cancel that reaches the upstream socket, heartbeats, content timeouts, in-band
 * errors, slow clients. Each test file runs it over a set of dialects and upstreams.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedRequest } from './fake-provider/index.ts';
import type { DialectReader } from './dialect-readers.ts';
import { activeTimers, eventually, startHarness, type ClientProtocol, type Harness, type UpstreamKind } from './sluice-harness.ts';
import type { OpenOptions, PendingRequest } from './sse-client.ts';

const awkwardText = 'Line one\nline "two" with \\ backslash\r\n한국어 텍스트와 이모지 🚀🌊👩‍💻, then </script><b>html</b> and data: fake\n\nid: 9\n';

/** The upstream socket must close this soon after the client's; generous for a shared, noisy CI machine. */
const cancelBudgetMs = 250;

/** How the contract's client reaches Sluice, and Sluice its upstream. */
export interface ContractTransport {
  /** @default 'http1' */
  client?: ClientProtocol;
  /** The fake upstream over TLS, which Sluice speaks h2 to. @default false */
  upstreamTls?: boolean;
  /** A flush budget (SLUICE_FLUSH_MS) for every Sluice the contract starts. @default 0 */
  flushMs?: number;
}

function labelOf(reader: DialectReader, upstream: UpstreamKind, { client = 'http1', upstreamTls = false, flushMs = 0 }: ContractTransport): string {
  const from = upstream === 'openai-chat' && !upstreamTls ? '' : ` from ${upstream}${upstreamTls ? ' over h2 with TLS' : ''}`;
  const over = client === 'http1' ? '' : ` over ${client === 'h2c' ? 'cleartext h2' : 'h2 with TLS'}`;
  const budget = flushMs === 0 ? '' : `, flush budget ${flushMs} ms`;
  return `${reader.name}${from}${over}${budget}`;
}

/** Text, cancel, in-band errors and backpressure. */
export function describeStreamContract(reader: DialectReader, upstream: UpstreamKind = 'openai-chat', transport: ContractTransport = {}): void {
  const label = labelOf(reader, upstream, transport);
  /** What the upstream's own in-stream error event becomes: Anthropic's is an overload. */
  const errorEventCode = upstream === 'anthropic-messages' ? 'overloaded' : 'upstream_error';
  const read = async (options: OpenOptions) => {
    const stream = await harness.readStream(reader.path, options);
    return { stream, summary: reader.summarize(stream.messages, stream) };
  };
  let harness: Harness;

  describe(`stream contract: ${label}`, () => {
    before(async () => {
      // The backpressure test's 24 MB answer comes back whole in the Responses API's final events.
      harness = await startHarness({ heartbeatMs: 60_000, maxUpstreamEventBytes: 64 * 1_048_576, flushMs: transport.flushMs ?? 0 }, { upstream, ...transport });
    });
    after(() => harness.close());

    test('relays the upstream text exactly, even split at every byte', async () => {
      for (const byteSplit of ['none', 'every-byte'] as const) {
        harness.fake.setScenario({ text: awkwardText, byteSplit, usage: { prompt_tokens: 11, completion_tokens: 22 } });
        const { stream, summary } = await read({ body: reader.body('hello') });
        assert.equal(stream.status, 200);
        assert.equal(summary.text, awkwardText, `byteSplit ${byteSplit}`);
        assert.equal(summary.ending, 'done');
        if (reader.carries.finishReason) assert.equal(summary.finishReason, 'stop');
        if (reader.carries.usage) {
          assert.deepEqual(
            { prompt: summary.usage?.prompt_tokens, completion: summary.usage?.completion_tokens },
            { prompt: 11, completion: 22 },
          );
        }
        for (const line of reader.heartbeat === undefined ? [] : stream.raw().split('\n')) {
          if (line.startsWith('data: ') && line !== 'data: [DONE]') JSON.parse(line.slice(6));
        }
      }
    });

    test('several tokens per upstream event arrive whole', async () => {
      harness.fake.setScenario({ text: 'one two three four five six seven', tokensPerEvent: 3 });
      const { summary } = await read({ body: reader.body('hi') });
      assert.equal(summary.text, 'one two three four five six seven');
      assert.equal(summary.ending, 'done');
    });

    for (const moment of ['before upstream headers', 'before the first token', 'mid-stream'] as const) {
      test(`a client that leaves ${moment} closes the upstream socket within ${cancelBudgetMs} ms`, async () => {
        const timersBefore = activeTimers();
        harness.fake.setScenario(
          moment === 'before upstream headers'
            ? { headersDelayMs: 5_000 }
            : moment === 'before the first token'
              ? { firstTokenDelayMs: 5_000 }
              : { infinite: true, tokenIntervalMs: 2 },
        );
        harness.logs.length = 0;
        const requestsBefore = harness.fake.requests.length;
        let clientRequest: PendingRequest | undefined;
        const pending = harness.openStream(reader.path, { body: reader.body('hi'), onRequest: (request) => (clientRequest = request) });
        const upstream = await harness.fake.waitForRequest(requestsBefore);
        let closedAt: number;
        if (moment === 'before upstream headers') {
          await sleep(30);
          // No response has started, so there is no stream yet: close the request itself.
          clientRequest?.destroy();
          closedAt = performance.now();
        } else {
          const stream = await pending;
          if (moment === 'mid-stream') await eventually(() => reader.summarize(stream.messages, stream).text.length > 20, 'some tokens');
          else await sleep(30);
          closedAt = stream.destroy();
        }
        const upstreamClosedAt = await upstream.socketClosed;
        assert.ok(upstreamClosedAt - closedAt < cancelBudgetMs, `upstream closed ${upstreamClosedAt - closedAt} ms after the client`);
        const record = await harness.waitForLog((line) => line.msg === 'stream ended');
        assert.equal(record.outcome, 'cancelled');
        assert.equal(record.reason, 'client_closed');
        assert.equal(record.level, 30, 'a cancel is logged as info, not as an error');
        await eventually(() => harness.sluice.activeStreams() === 0, 'no stream in flight');
        await eventually(() => activeTimers() <= timersBefore, `timers back to ${timersBefore} (now ${activeTimers()})`);
      });
    }

    test('an upstream that cuts the connection mid-stream ends in an error, never in done', async () => {
      harness.fake.setScenario({ text: 'a b c d e f g h', fault: { afterTokens: 3, kind: 'cut' } });
      const { summary } = await read({ body: reader.body('hi') });
      assert.equal(summary.text, 'a b c ');
      assert.equal(summary.ending, 'error');
      if (reader.carries.errorCode) assert.equal(summary.errorCode, 'upstream_error');
    });

    test('garbage from the upstream mid-stream is an error', async () => {
      harness.fake.setScenario({ text: 'a b c d e f', fault: { afterTokens: 2, kind: 'garbage' } });
      const { summary } = await read({ body: reader.body('hi') });
      assert.equal(summary.text, 'a b ');
      assert.equal(summary.ending, 'error');
      if (reader.carries.errorCode) assert.equal(summary.errorCode, 'upstream_error');
    });

    test("the upstream's own error event mid-stream is an error", async () => {
      harness.fake.setScenario({ text: 'a b c d e f', fault: { afterTokens: 2, kind: 'error-event' } });
      const { summary } = await read({ body: reader.body('hi') });
      assert.equal(summary.ending, 'error');
      if (reader.carries.errorCode) assert.equal(summary.errorCode, errorEventCode);
    });

    test('a client that stops reading stops the upstream read', async () => {
      harness.fake.setScenario({ infinite: true, tokens: [`${'z'.repeat(4000)} `] });
      const stream = await harness.openStream(reader.path, { body: reader.body('hi'), paused: true });
      const upstream = await harness.fake.waitForRequest(harness.fake.requests.length - 1);
      const sentWhileStalled = await waitForStall(upstream);
      await sleep(300);
      assert.equal(upstream.tokensSent, sentWhileStalled, 'the upstream is not read while the client is stalled');
      const closedAt = stream.destroy();
      assert.ok((await upstream.socketClosed) - closedAt < cancelBudgetMs);
    });

    test('what piles up while the client socket is full leaves coalesced, and whole', async () => {
      // More than loopback's socket buffers take (about 10 MB on the client hop), so that the socket pushes back.
      const tokens = Array.from({ length: 6000 }, (_, index) => `${index} ${'z'.repeat(4000)} `);
      harness.fake.setScenario({ tokens });
      const stream = await harness.openStream(reader.path, { body: reader.body('hi'), paused: true });
      const upstream = await harness.fake.waitForRequest(harness.fake.requests.length - 1);
      // Resume only once the socket pushed back all the way to the upstream (slow on a loaded machine).
      const sentWhileStalled = await waitForStall(upstream);
      assert.ok(sentWhileStalled < tokens.length, 'the upstream stalled before the end of the answer');
      stream.resume();
      await stream.ended;
      const summary = reader.summarize(stream.messages, stream);
      assert.equal(summary.text, tokens.join(''));
      assert.equal(summary.ending, 'done');
      // Plain text has no events to count: its bytes are what the socket took.
      if (summary.textDeltas.length === 0) return;
      const mostTokensInOneEvent = Math.max(...summary.textDeltas.map((delta) => delta.split('z ').length - 1));
      assert.ok(mostTokensInOneEvent >= 2, `tokens per event at most ${mostTokensInOneEvent}`);
    });
  });
}

/** Heartbeats, content timeouts and the send timeout: each test starts its own Sluice with its own limits. */
export function describeTimeContract(reader: DialectReader, upstream: UpstreamKind = 'openai-chat', transport: ContractTransport = {}): void {
  const label = labelOf(reader, upstream, transport);
  describe(`stream contract, time: ${label}`, () => {
    test('heartbeats are sent before the first token and between tokens, and do not reset the idle timeout', async () => {
      const harness = await startHarness({ heartbeatMs: 40, idleTimeoutMs: 400 }, { upstream, ...transport });
      try {
        harness.fake.setScenario({ firstTokenDelayMs: 200, text: 'a b', fault: { afterTokens: 2, kind: 'hang' } });
        const stream = await harness.readStream(reader.path, { body: reader.body('hi') });
        const summary = reader.summarize(stream.messages, stream);
        if (reader.heartbeat === undefined) {
          assert.equal(summary.text, 'a b', 'a format without heartbeats sends nothing but the answer');
        } else {
          const beforeFirstToken = stream.raw().split(/data: .*"(?:delta|content|text)":"a /)[0] ?? '';
          assert.ok((beforeFirstToken.match(reader.heartbeat) ?? []).length >= 2, 'pings before the first token');
          assert.ok((stream.raw().match(reader.heartbeat) ?? []).length >= 5, 'pings while idle');
        }
        assert.equal(summary.ending, 'error');
        if (reader.carries.errorCode) assert.equal(summary.errorCode, 'timeout');
      } finally {
        await harness.close();
      }
    });

    test('time to first token, idle gap and total time each end the stream with a timeout error and abort the upstream', async () => {
      const cases = [
        { settings: { firstTokenTimeoutMs: 150 }, scenario: { firstTokenDelayMs: 5_000 }, reason: 'first_token_timeout' },
        { settings: { idleTimeoutMs: 150 }, scenario: { text: 'a b c d', fault: { afterTokens: 2, kind: 'hang' as const } }, reason: 'idle_timeout' },
        { settings: { totalTimeoutMs: 300 }, scenario: { infinite: true, tokenIntervalMs: 20 }, reason: 'total_timeout' },
      ];
      for (const { settings, scenario, reason } of cases) {
        const harness = await startHarness(settings, { upstream, ...transport });
        try {
          harness.fake.setScenario(scenario);
          const stream = await harness.readStream(reader.path, { body: reader.body('hi') });
          const summary = reader.summarize(stream.messages, stream);
          assert.equal(summary.ending, 'error', reason);
          if (reader.carries.errorCode) assert.equal(summary.errorCode, 'timeout', reason);
          await harness.fake.requests[0]?.socketClosed;
          const record = await harness.waitForLog((line) => line.msg === 'stream ended');
          assert.equal(record.outcome, 'timeout');
          assert.equal(record.reason, reason);
        } finally {
          await harness.close();
        }
      }
    });

    test('a client that reads nothing is cut off at the send timeout, not taken for an idle upstream, and the upstream aborted', async () => {
      // The idle timeout is shorter than the send timeout: while the client's socket is full the upstream is
      // not read, and that silence must not count as the upstream's.
      const harness = await startHarness({ sendTimeoutMs: 1500, idleTimeoutMs: 600 }, { upstream, ...transport });
      try {
        harness.fake.setScenario({ infinite: true, text: 'x'.repeat(2000) });
        const stream = await harness.openStream(reader.path, { body: reader.body('hi'), paused: true });
        const upstream = await harness.fake.waitForRequest(0);
        await upstream.socketClosed;
        // The stalled client does not read, so it cannot see the close itself; it just goes away.
        stream.destroy();
        const record = await harness.waitForLog((line) => line.msg === 'stream ended');
        assert.equal(record.reason, 'send_timeout');
        assert.equal(record.outcome, 'cancelled');
      } finally {
        await harness.close();
      }
    });
  });
}

/**
 * Waits until the upstream has stopped writing (its token count held for three polls 200 ms apart, up to
 * 10 s): socket buffers on both hops fill up first, and the kernel grows them for a while. One quiet poll
 * is not enough on a loaded machine, where the upstream itself may not have run for 200 ms. Returns the count.
 */
async function waitForStall(upstream: RecordedRequest): Promise<number> {
  let sent = -1;
  let quietPolls = 0;
  for (let polls = 0; polls < 50 && quietPolls < 3; polls += 1) {
    quietPolls = sent === upstream.tokensSent ? quietPolls + 1 : 0;
    sent = upstream.tokensSent;
    await sleep(200);
  }
  return sent;
}
