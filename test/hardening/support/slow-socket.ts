import { connect, type Socket } from 'node:net';

export interface SlowSocket {
  socket: Socket;
  /** performance.now() when the server closed it; resolves then. */
  closed: Promise<number>;
  /** Everything the server sent. */
  received(): string;
  stop(): void;
}

/**
 * A client that sends `text` a byte every `byteIntervalMs`, after sending `head` at once: the slow-loris
 * attacker. It stops writing once the server closes the connection.
 */
export function openSlowSocket(port: number, options: { head?: string; text: string; byteIntervalMs: number; localAddress?: string }): Promise<SlowSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<number>((done) => socket.once('close', () => {
      clearInterval(timer);
      done(performance.now());
    }));
    socket.once('connect', () => {
      if (options.head) socket.write(options.head);
      let index = 0;
      timer = setInterval(() => {
        if (socket.writable && index < options.text.length) socket.write(options.text[index++]!);
      }, options.byteIntervalMs);
      resolve({ socket, closed, received: () => received, stop: () => {
        clearInterval(timer);
        socket.destroy();
      } });
    });
    socket.once('error', reject);
  });
}
