import type { ServerResponse } from 'node:http';
import { constants as http2Constants } from 'node:http2';
import { StreamAbort } from '../../pipeline/stream-abort.ts';
import { isHttp2Response, wasEnded, type HttpResponse } from '../http/http-types.ts';
import { flushScheduleFor, type FlushSchedule, type HeldWrites } from './flush-schedule.ts';

export interface ClientConnectionOptions {
  sendTimeoutMs: number;
  /**
   * The flush budget (`SLUICE_FLUSH_MS`): the most written bytes may wait so that the next ones leave
   * with them in one write. 0 writes each as soon as the socket takes it. @default 0
   */
  flushMs?: number;
  /** Called once when the stream must end because of the client: it left, or it read nothing for too long. */
  onGone: (reason: StreamAbort) => void;
}

/** Bytes held for the flush budget past this leave at once: the socket's own buffer would take no more. */
const maxHeldBytes = 16 * 1024;

/**
 * One response as the writer sees it, over either protocol: whether it can take more, a wait for
 * `drain` that also ends on `close`, a send timeout, and heartbeats after a quiet interval. On HTTP/1.1
 * the response is its connection's; on h2 it is one stream of a connection shared with others, whose
 * flow-control window is what fills (so backpressure, the send timeout and a cancel are per stream), and
 * whose `close` without a finished response is the client's `RST_STREAM`.
 *
 * With a flush budget, writes are held until the budget's next tick (or until 16 KiB are held) and
 * leave as one; `write()` still says whether the socket has room, so backpressure is unchanged.
 *
 * Listeners are added once per response (never per write) and removed on disposal, as are the timers.
 * The close listener is attached as soon as the request is accepted, so a client that leaves before the
 * upstream answered still aborts it. `res.on('close')` is the signal, not `req.on('close')`, which in
 * Node fires as soon as the request body has been read.
 */
export class ClientConnection implements Disposable, HeldWrites {
  /** True once the client is gone (or was already gone when the connection was made). */
  closed: boolean;
  private readonly response: HttpResponse;
  private readonly options: ClientConnectionOptions;
  private readonly schedule: FlushSchedule | undefined;
  /** What the flush budget holds back; empty without one. */
  private heldBytes = '';
  private lastWriteAt = performance.now();
  private drainWaiter: ((drained: boolean) => void) | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatBytes = '';
  private heartbeatMs = 0;

  constructor(response: HttpResponse, options: ClientConnectionOptions) {
    this.response = response;
    this.options = options;
    this.schedule = options.flushMs ? flushScheduleFor(options.flushMs) : undefined;
    this.closed = isGone(response);
    response.on('close', this.onClose);
    response.on('drain', this.onDrain);
  }

  /**
   * Writes bytes (or holds them for the flush budget); false means the socket is full and the caller
   * must `waitForDrain()` before more.
   */
  write(bytes: string): boolean {
    if (this.closed) return false;
    this.lastWriteAt = performance.now();
    if (this.schedule === undefined) return this.send(bytes);
    if (this.heldBytes === '') this.schedule.hold(this);
    this.heldBytes += bytes;
    if (this.heldBytes.length >= maxHeldBytes) return this.flushHeld();
    return !this.response.writableNeedDrain;
  }

  /** The flush budget's tick: what is held leaves now. */
  flush(): void {
    if (!this.closed && this.heldBytes !== '') this.flushHeld();
  }

  /** Ends the response after what is held. */
  end(): void {
    if (this.closed) return;
    const held = this.takeHeld();
    if (held === '') this.response.end();
    else this.response.end(held);
  }

  /**
   * Ends the transport without ending the response, so that every HTTP client reports the body as
   * incomplete: `lastBytes` (not empty) and everything written before it reach the client first. On
   * HTTP/1.1 the socket is ended, on h2 the stream reset (`RST_STREAM` with `INTERNAL_ERROR`; the other
   * streams of its connection go on), in both cases from that write's callback, once every byte is
   * handed on: since Node 24.22 a response holds chunked writes in a buffer of its own until the next
   * tick, and ending (or destroying) the socket directly lost them, and a reset drops the data of its
   * stream that nghttp2 has not sent yet.
   */
  cut(lastBytes: string): void {
    if (this.closed) return;
    const response = this.response;
    const endTransport = isHttp2Response(response)
      ? () => response.stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR)
      : () => (response as ServerResponse).socket?.end();
    this.lastWriteAt = performance.now();
    if (!response.write(this.takeHeld() + lastBytes, endTransport)) this.armSendTimer();
  }

  /** Sends the response head now, before any byte of the body (h2 sends it as soon as it is written). */
  flushHead(): void {
    const response = this.response;
    if (!isHttp2Response(response)) (response as ServerResponse).flushHeaders();
  }

  /** Resolves true when the socket drained, false when the client is gone (closed or cut off). */
  waitForDrain(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!this.response.writableNeedDrain) return Promise.resolve(true);
    return new Promise((resolve) => (this.drainWaiter = resolve));
  }

  /** Writes `bytes` after every `intervalMs` without a write, until disposal. */
  startHeartbeat(bytes: string, intervalMs: number): void {
    this.heartbeatBytes = bytes;
    this.heartbeatMs = intervalMs;
    this.armHeartbeat(intervalMs);
  }

  private armHeartbeat(delayMs: number): void {
    this.heartbeatTimer = setTimeout(this.onHeartbeatTimer, delayMs);
  }

  private readonly onHeartbeatTimer = (): void => {
    if (this.closed) return;
    const quietMs = performance.now() - this.lastWriteAt;
    // A socket still waiting to drain gets no heartbeat: the send timeout is already watching it.
    if (quietMs >= this.heartbeatMs - 1 && !this.response.writableNeedDrain) {
      this.write(this.heartbeatBytes);
      this.armHeartbeat(this.heartbeatMs);
      return;
    }
    this.armHeartbeat(Math.max(1, this.heartbeatMs - quietMs));
  };

  private send(bytes: string): boolean {
    const accepted = this.response.write(bytes);
    if (!accepted) this.armSendTimer();
    return accepted;
  }

  private flushHeld(): boolean {
    return this.send(this.takeHeld());
  }

  /** The bytes held, now no longer held (and no longer waiting for a tick). */
  private takeHeld(): string {
    const bytes = this.heldBytes;
    if (bytes === '') return bytes;
    this.heldBytes = '';
    this.schedule?.release(this);
    return bytes;
  }

  private armSendTimer(): void {
    if (this.sendTimer) return;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined;
      this.options.onGone(new StreamAbort('send_timeout', `The client read nothing for ${this.options.sendTimeoutMs} ms`));
      this.response.destroy();
    }, this.options.sendTimeoutMs);
  }

  private readonly onDrain = (): void => {
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    this.settleDrain(true);
  };

  private readonly onClose = (): void => {
    this.closed = true;
    clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    clearTimeout(this.heartbeatTimer);
    if (!wasEnded(this.response)) {
      this.options.onGone(new StreamAbort('client_closed', 'The client closed the connection'));
    }
    this.settleDrain(false);
  };

  private settleDrain(drained: boolean): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = undefined;
    waiter?.(drained);
  }

  [Symbol.dispose](): void {
    this.heldBytes = '';
    this.schedule?.release(this);
    clearTimeout(this.sendTimer);
    clearTimeout(this.heartbeatTimer);
    this.sendTimer = undefined;
    this.heartbeatTimer = undefined;
    this.response.off('close', this.onClose);
    this.response.off('drain', this.onDrain);
  }
}

/** A response whose client left before the writer was made: its socket (HTTP/1.1) or stream (h2) is already closed. */
function isGone(response: HttpResponse): boolean {
  if (isHttp2Response(response)) return response.stream.destroyed || response.stream.closed;
  const socket = (response as ServerResponse).socket;
  return socket === null || socket.destroyed;
}
