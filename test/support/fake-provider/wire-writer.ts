import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ByteSplit } from './scenario.ts';
import type { FakeResponse, UpstreamTransport } from './upstream-transport.ts';

/**
 * Writes a response the way a real upstream does, and the way a test needs it to: bytes cut where the
 * scenario says, every write waiting for `drain` when the socket is full, and every wait ending as soon
 * as the client goes away, so a stream leaves no timer or listener behind.
 */
export interface WireWriter {
  /** Resolves false when the client went away before every byte was handed to the socket. */
  write(text: string): Promise<boolean>;
  /** Resolves false when the client went away during the wait. */
  wait(milliseconds: number): Promise<boolean>;
  /** Lets the event loop run one turn (I/O, timers) between events. */
  yieldTurn(): Promise<boolean>;
  untilClosed(): Promise<void>;
  readonly closed: boolean;
}

export function createWireWriter(response: FakeResponse, transport: UpstreamTransport, byteSplit: ByteSplit = 'none'): WireWriter {
  let closed = transport.isClosed();
  const closedPromise = new Promise<void>((resolve) => {
    if (closed) resolve();
    response.once('close', () => {
      closed = true;
      resolve();
    });
  });

  function drainOrClose(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });
  }

  async function wait(milliseconds: number): Promise<boolean> {
    if (closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, milliseconds);
    });
    try {
      await Promise.race([elapsed, closedPromise]);
    } finally {
      clearTimeout(timer);
    }
    return !closed;
  }

  return {
    get closed() {
      return closed;
    },
    async write(text) {
      const pieces = splitBytes(Buffer.from(text, 'utf8'), byteSplit);
      for (let index = 0; index < pieces.length; index += 1) {
        if (closed) return false;
        // A turn between pieces lets each one leave as its own TCP segment.
        if (index > 0) await nextTurn();
        if (!response.write(pieces[index]!)) await drainOrClose();
      }
      return !closed;
    },
    wait,
    async yieldTurn() {
      await nextTurn();
      return !closed;
    },
    untilClosed: () => closedPromise,
  };
}

function splitBytes(bytes: Buffer, byteSplit: ByteSplit): Buffer[] {
  const size = byteSplit === 'none' ? bytes.length : byteSplit === 'every-byte' ? 1 : byteSplit;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`byteSplit must be a positive integer, got ${byteSplit}`);
  if (size >= bytes.length) return [bytes];
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return pieces;
}
