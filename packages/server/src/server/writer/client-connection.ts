import type { ServerResponse } from 'node:http';
import { StreamAbort } from '../../pipeline/stream-abort.ts';

export interface ClientConnectionOptions {
  sendTimeoutMs: number;
  /** Called once when the stream must end because of the client: it left, or it read nothing for too long. */
  onGone: (reason: StreamAbort) => void;
}

/**
 * The response socket as the writer sees it: whether it can take more, a wait for `drain` that also
 * ends on `close`, a send timeout, and heartbeats after a quiet interval.
 *
 * Listeners are added once per response (never per write) and removed on disposal, as are the timers.
 * The close listener is attached as soon as the request is accepted, so a client that leaves before the
 * upstream answered still aborts it. `res.on('close')` is the signal, not `req.on('close')`, which in
 * Node fires as soon as the request body has been read.
 */
export class ClientConnection implements Disposable {
  closed = false;
  private readonly response: ServerResponse;
  private readonly options: ClientConnectionOptions;
  private lastWriteAt = performance.now();
  private drainWaiter: ((drained: boolean) => void) | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatBytes = '';
  private heartbeatMs = 0;

  constructor(response: ServerResponse, options: ClientConnectionOptions) {
    this.response = response;
    this.options = options;
    response.on('close', this.onClose);
    response.on('drain', this.onDrain);
  }

  /** Writes bytes; false means the socket is full and the caller must `waitForDrain()` before more. */
  write(bytes: string): boolean {
    if (this.closed) return false;
    this.lastWriteAt = performance.now();
    const accepted = this.response.write(bytes);
    if (!accepted) this.armSendTimer();
    return accepted;
  }

  /**
   * Ends the connection without ending the response, so that every HTTP client reports the body as
   * incomplete: `lastBytes` (not empty) and everything written before it reach the client first. The
   * socket is ended from that write's callback, once the response has handed it every byte: since Node
   * 24.22 a response holds chunked writes in a buffer of its own until the next tick, and ending (or
   * destroying) the socket directly lost them.
   */
  cut(lastBytes: string): void {
    if (this.closed) return;
    const socket = this.response.socket;
    this.lastWriteAt = performance.now();
    if (!this.response.write(lastBytes, () => socket?.end())) this.armSendTimer();
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
    if (!this.response.writableFinished) {
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
    clearTimeout(this.sendTimer);
    clearTimeout(this.heartbeatTimer);
    this.sendTimer = undefined;
    this.heartbeatTimer = undefined;
    this.response.off('close', this.onClose);
    this.response.off('drain', this.onDrain);
  }
}
