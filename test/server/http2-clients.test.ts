/**
 * HTTP/2 to clients, beside HTTP/1.1 on the same port: cleartext h2 with prior knowledge, h2 and
 * HTTP/1.1 over TLS chosen by ALPN, a cancel that resets one stream of a shared connection and closes
 * that stream's upstream only, statuses and a reset stream for a body too large, and a GOAWAY on drain.
 * The stream contract over h2 is in stream-contract-h2.test.ts.
 */

import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { connect as connectHttp2, constants as http2Constants, type ClientHttp2Session } from 'node:http2';
import { get as httpsGet } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { sluiceReader } from '../support/dialect-readers.ts';
import { eventually, startHarness, type Harness } from '../support/sluice-harness.ts';
import { testCertificate } from '../support/test-certificate.ts';

function getOverHttp1(url: string, ca?: Buffer): Promise<{ status: number; httpVersion: string; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    get(url, { ca, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, httpVersion: response.httpVersion, body }));
    }).on('error', reject);
  });
}

function getOverHttp2(session: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
}

function connect(url: string, ca?: Buffer): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(url, ca === undefined ? {} : { ca });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

describe('one port, both protocols', () => {
  test('cleartext: HTTP/1.1 and h2 with prior knowledge', async () => {
    const harness = await startHarness();
    try {
      const http1 = await getOverHttp1(`${harness.sluice.url}/healthz`);
      assert.deepEqual([http1.status, http1.httpVersion], [200, '1.1']);
      const session = await connect(harness.sluice.url);
      try {
        assert.equal(session.alpnProtocol, 'h2c');
        const h2 = await getOverHttp2(session, '/healthz');
        assert.equal(h2.status, 200);
        assert.equal(h2.body, http1.body);
      } finally {
        session.close();
      }
    } finally {
      await harness.close();
    }
  });

  test('TLS: ALPN gives h2 to a client that offers it and HTTP/1.1 to one that does not', async () => {
    const harness = await startHarness({}, { client: 'h2' });
    try {
      assert.match(harness.sluice.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { cert } = testCertificate();
      const http1 = await getOverHttp1(`${harness.sluice.url}/healthz`, cert);
      assert.deepEqual([http1.status, http1.httpVersion], [200, '1.1']);
      const session = await connect(harness.sluice.url, cert);
      try {
        assert.equal(session.alpnProtocol, 'h2');
        assert.equal((await getOverHttp2(session, '/healthz')).status, 200);
      } finally {
        session.close();
      }
    } finally {
      await harness.close();
    }
  });
});

describe('streams sharing one h2 connection', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ heartbeatMs: 60_000 }, { client: 'h2c' });
  });
  after(() => harness.close());

  test('resetting one stream closes its upstream only, within milliseconds; the others and the connection go on', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const first = harness.fake.requests.length;
    const streams = await Promise.all(Array.from({ length: 4 }, () => harness.openStream(sluiceReader.path, { body: sluiceReader.body('hi') })));
    const upstreams = await Promise.all(streams.map((_, index) => harness.fake.waitForRequest(first + index)));
    await eventually(() => streams.every((stream) => stream.messages.length > 3), 'every stream under way');
    const closedAt = streams[1]!.destroy();
    const upstreamClosedAt = await upstreams[1]!.socketClosed;
    assert.ok(upstreamClosedAt - closedAt < 100, `the reset stream's upstream closed ${(upstreamClosedAt - closedAt).toFixed(1)} ms after the reset`);
    const tokensAtReset = upstreams.map((upstream) => upstream.tokensSent);
    await eventually(() => [0, 2, 3].every((index) => upstreams[index]!.tokensSent > tokensAtReset[index]! + 10), 'the other upstreams to go on');
    const closed = await Promise.race([Promise.any([0, 2, 3].map((index) => upstreams[index]!.socketClosed)), new Promise((resolve) => setTimeout(resolve, 50, 'open'))]);
    assert.equal(closed, 'open', 'no other upstream closed');
    const record = await harness.waitForLog((line) => line.msg === 'stream ended');
    assert.deepEqual([record.outcome, record.reason], ['cancelled', 'client_closed']);
    harness.fake.setScenario({ text: 'still here' });
    const lateStream = await harness.readStream(sluiceReader.path, { body: sluiceReader.body('one more') });
    assert.equal(sluiceReader.summarize(lateStream.messages).text, 'still here', 'a new stream on the same connection');
    for (const index of [0, 2, 3]) streams[index]!.destroy();
    await eventually(() => harness.sluice.activeStreams() === 0, 'no stream in flight');
  });

  test('a client whose connection drops (no reset, the socket just closes) aborts every stream on it', async () => {
    harness.fake.setScenario({ infinite: true, tokenIntervalMs: 5 });
    const session = await connect(harness.sluice.url);
    const first = harness.fake.requests.length;
    const streams = await Promise.all(Array.from({ length: 3 }, () => harness.openStream(sluiceReader.path, { body: sluiceReader.body('hi'), session })));
    const upstreams = await Promise.all(streams.map((_, index) => harness.fake.waitForRequest(first + index)));
    await eventually(() => streams.every((stream) => stream.messages.length > 3), 'every stream under way');
    const droppedAt = performance.now();
    session.destroy();
    const closedAt = await Promise.all(upstreams.map((upstream) => upstream.socketClosed));
    for (const at of closedAt) assert.ok(at - droppedAt < 250, `an upstream closed ${(at - droppedAt).toFixed(1)} ms after the connection dropped`);
    await eventually(() => harness.sluice.activeStreams() === 0, 'no stream in flight');
  });

  test('an upstream failure before the first byte is a real status with a JSON body', async () => {
    harness.fake.setScenario({ status: 429, responseHeaders: { 'retry-after': '7' } });
    const stream = await harness.readStream(sluiceReader.path, { body: sluiceReader.body('hi') });
    assert.equal(stream.status, 429);
    assert.equal(stream.headers['retry-after'], '7');
    assert.equal(JSON.parse(stream.raw()).error.code, 'rate_limited');
  });
});

test('a body over the limit gets its 413 and a reset stream, so the client stops uploading', async () => {
  const harness = await startHarness({ maxBodyBytes: 1000 }, { client: 'h2c' });
  const session = await connect(harness.sluice.url);
  try {
    const stream = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' });
    let status = 0;
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: string) => (body += chunk));
    const chunk = 'x'.repeat(16_384);
    // Far more than the stream's flow-control window: without the reset the upload would stall forever.
    const write = (): void => {
      while (stream.writable && stream.write(chunk));
    };
    stream.on('drain', write);
    write();
    await new Promise((resolve) => stream.once('close', resolve));
    assert.equal(status, 413);
    assert.equal(JSON.parse(body).error.code, 'payload_too_large');
    assert.equal(stream.rstCode, http2Constants.NGHTTP2_NO_ERROR);
    assert.equal((await getOverHttp2(session, '/healthz')).status, 200, 'the connection goes on');
  } finally {
    session.close();
    await harness.close();
  }
});

test('a drain sends GOAWAY: the stream in flight finishes, the client opens no new stream there', async () => {
  const harness = await startHarness({ drainMs: 2000 }, { client: 'h2c' });
  const session = await connect(harness.sluice.url);
  try {
    harness.fake.setScenario({ text: 'a b c d e', tokenIntervalMs: 40 });
    const goaway = new Promise((resolve) => session.once('goaway', resolve));
    const stream = harness.openStream(sluiceReader.path, { body: sluiceReader.body('hi'), session });
    await harness.fake.waitForRequest(0);
    const shutdown = harness.sluice.shutdown();
    await goaway;
    await assert.rejects(getOverHttp2(session, '/healthz'), { code: /^ERR_HTTP2_(GOAWAY_SESSION|STREAM_CANCEL)$/ }, 'a new stream on the connection is refused');
    const opened = await stream;
    await opened.ended;
    assert.equal(sluiceReader.summarize(opened.messages).ending, 'done');
    assert.equal(sluiceReader.summarize(opened.messages).text, 'a b c d e');
    await shutdown;
  } finally {
    session.destroy();
    await harness.close();
  }
});
