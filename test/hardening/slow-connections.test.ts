/**
 * Slow or idle connections are closed in time: headers a byte at a time, a body a byte at a time, an idle
 * keep-alive connection; and connections past the total and per-address caps are refused at once.
 */

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../support/sluice-harness.ts';
import { openSlowSocket } from './support/slow-socket.ts';

const headersTimeoutMs = 600;
const bodyTimeoutMs = 1200;
// Node checks the timeouts on an interval of a quarter of the shortest; the machine may be loaded too.
const slackMs = 700;

describe('timeouts', () => {
  let harness: Harness;
  let port: number;
  before(async () => {
    harness = await startHarness({ headersTimeoutMs, bodyTimeoutMs, keepAliveTimeoutMs: 400 });
    port = harness.sluice.port;
  });
  after(() => harness.close());

  test('40 connections sending their headers a byte every 100 ms are answered 408 and closed at the headers timeout', async () => {
    const startedAt = performance.now();
    const sockets = await Promise.all(Array.from({ length: 40 }, () => openSlowSocket(port, { text: 'POST /v1/chat/stream HTTP/1.1\r\nhost: sluice\r\nx-padding: ' + 'a'.repeat(200), byteIntervalMs: 100 })));
    const closedAt = await Promise.all(sockets.map((socket) => socket.closed));
    for (const [index, at] of closedAt.entries()) {
      assert.ok(at - startedAt < headersTimeoutMs + slackMs, `socket ${index} closed after ${Math.round(at - startedAt)} ms`);
      assert.match(sockets[index]!.received(), /^HTTP\/1\.1 408 /);
    }
  });

  test('a body sent a byte every 100 ms is cut at the body timeout, though its headers came at once', async () => {
    const body = JSON.stringify({ prompt: 'x'.repeat(500) });
    const startedAt = performance.now();
    const slow = await openSlowSocket(port, {
      head: `POST /v1/chat/stream HTTP/1.1\r\nhost: sluice\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      text: body,
      byteIntervalMs: 100,
    });
    const closedAt = await slow.closed;
    assert.ok(closedAt - startedAt >= headersTimeoutMs, 'not at the headers timeout: the headers were whole');
    assert.ok(closedAt - startedAt < bodyTimeoutMs + slackMs, `closed after ${Math.round(closedAt - startedAt)} ms`);
    assert.equal(harness.fake.requests.length, 0, 'nothing reached the upstream');
  });

  test('a stream that lasts longer than the body timeout is not cut by it', async () => {
    harness.fake.setScenario({ text: 'a b c d e f g h', tokenIntervalMs: 250 });
    const response = await fetch(`${harness.sluice.url}/v1/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hi' }) });
    const text = await response.text();
    assert.match(text, /event: done\ndata: \{"type":"done","finish_reason":"stop"/);
  });

  test('an idle keep-alive connection is closed at the keep-alive timeout, after Node\'s 1 s grace', async () => {
    const socket = await new Promise<Socket>((resolve) => {
      const opened = connect(port, '127.0.0.1', () => resolve(opened));
    });
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.write('GET /healthz HTTP/1.1\r\nhost: sluice\r\n\r\n');
    const sentAt = performance.now();
    const closedAt = await closed;
    assert.match(received, /^HTTP\/1\.1 200 /);
    assert.match(received, /keep-alive: timeout=0/i);
    assert.ok(closedAt - sentAt >= 1400 && closedAt - sentAt < 1400 + slackMs, `closed after ${Math.round(closedAt - sentAt)} ms`);
  });
});

describe('connection caps', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ maxConnections: 12, maxConnectionsPerAddress: 5 });
  });
  after(() => harness.close());

  const open = (localAddress: string) =>
    openSlowSocket(harness.sluice.port, { text: 'GET /healthz HTTP/1.1\r\nhost: sluice\r\n\r\n', byteIntervalMs: 60_000, localAddress });
  const isOpen = async (socket: Awaited<ReturnType<typeof open>>) =>
    Promise.race([socket.closed.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 150))]);

  test('one address gets 5 connections, the 6th is closed at once; other addresses are not affected', async () => {
    const first = await Promise.all(Array.from({ length: 5 }, () => open('127.0.0.2')));
    const sixth = await open('127.0.0.2');
    const other = await open('127.0.0.3');
    assert.equal(await isOpen(sixth), false);
    assert.equal(await isOpen(other), true);
    for (const socket of first) assert.equal(await isOpen(socket), true);
    first[0]!.stop();
    await first[0]!.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await open('127.0.0.2');
    assert.equal(await isOpen(again), true, 'a closed connection frees its place');
    for (const socket of [...first, sixth, other, again]) socket.stop();
  });

  test('12 connections in total, from any addresses; the 13th is closed at once', async () => {
    const sockets = [];
    for (let index = 0; index < 12; index += 1) sockets.push(await open(`127.0.1.${1 + (index % 4)}`));
    const thirteenth = await open('127.0.1.9');
    assert.equal(await isOpen(thirteenth), false);
    for (const socket of sockets) assert.equal(await isOpen(socket), true);
    for (const socket of sockets) socket.stop();
  });
});
