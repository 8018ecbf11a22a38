/**
 * h2 to upstreams over TLS, as every hosted provider is reached: the streams to one provider share one
 * connection, a client that leaves resets exactly its upstream stream within milliseconds, `http2:
 * false` keeps HTTP/1.1, and an upstream certificate nobody vouches for is refused. The stream contract
 * over an h2 upstream is in stream-contract.test.ts.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sluiceReader } from '../support/dialect-readers.ts';
import { eventually, startHarness, type Harness } from '../support/sluice-harness.ts';
import type { OpenedStream } from '../support/sse-client.ts';

describe('an h2 upstream', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ heartbeatMs: 60_000 }, { upstreamTls: true });
  });
  after(() => harness.close());

  test('carries every stream to it on one connection; a client that leaves resets its stream only, within milliseconds', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const first = harness.fake.requests.length;
    const streams: OpenedStream[] = await Promise.all(Array.from({ length: 5 }, () => harness.openStream(sluiceReader.path, { body: sluiceReader.body('hi') })));
    const upstreams = await Promise.all(streams.map((_, index) => harness.fake.waitForRequest(first + index)));
    await eventually(() => streams.every((stream) => stream.messages.length > 3), 'every stream under way');
    assert.deepEqual(upstreams.map((upstream) => upstream.httpVersion), ['2.0', '2.0', '2.0', '2.0', '2.0']);
    assert.equal(harness.fake.openConnections(), 1, 'five streams, one connection');

    const closedAt = streams[2]!.destroy();
    const upstreamClosedAt = await upstreams[2]!.socketClosed;
    assert.ok(upstreamClosedAt - closedAt < 100, `the upstream stream closed ${(upstreamClosedAt - closedAt).toFixed(1)} ms after the client`);
    const tokensAtReset = upstreams.map((upstream) => upstream.tokensSent);
    await eventually(() => [0, 1, 3, 4].every((index) => upstreams[index]!.tokensSent > tokensAtReset[index]! + 10), 'the other streams to go on');
    const sentAfterReset = upstreams[2]!.tokensSent - tokensAtReset[2]!;
    assert.equal(sentAfterReset, 0, 'no token written to the reset stream');
    assert.equal(harness.fake.openConnections(), 1, 'the connection stays');
    for (const index of [0, 1, 3, 4]) streams[index]!.destroy();
    await eventually(() => harness.sluice.activeStreams() === 0, 'no stream in flight');
  });
});

test('"http2": false keeps an https upstream on HTTP/1.1', async () => {
  const harness = await startHarness({ openaiHttp2: false }, { upstreamTls: true });
  try {
    harness.fake.setScenario({ text: 'over one point one' });
    const stream = await harness.readStream(sluiceReader.path, { body: sluiceReader.body('hi') });
    assert.equal(sluiceReader.summarize(stream.messages).text, 'over one point one');
    assert.equal(harness.fake.requests[0]!.httpVersion, '1.1');
  } finally {
    await harness.close();
  }
});

test('an upstream whose certificate Sluice does not trust is refused before the first byte', async () => {
  const harness = await startHarness((fake) => ({ upstreamCaFile: undefined, openaiBaseUrl: fake.url }), { upstreamTls: true });
  try {
    const stream = await harness.readStream(sluiceReader.path, { body: sluiceReader.body('hi') });
    assert.equal(stream.status, 502);
    assert.match(JSON.parse(stream.raw()).error.message, /Cannot reach the upstream \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    assert.equal(harness.fake.requests.length, 0);
  } finally {
    await harness.close();
  }
});
