import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ChaosProxy {
  url: string;
  /** Connections it cut, and stalled, so far. */
  readonly cuts: number;
  readonly stalls: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a server that drops packets the way a bad network does: each connection,
 * chosen by `random()`, is passed through, cut after a while (both sides destroyed mid-stream), or
 * stalled for a while (nothing forwarded either way, then everything at once).
 */
export async function startChaosProxy(targetPort: number, random: () => number, options: { cutShare: number; stallShare: number; stallMs: number }): Promise<ChaosProxy> {
  let cuts = 0;
  let stalls = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (milliseconds: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, milliseconds);
    timers.add(timer);
  };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
    const roll = random();
    if (roll < options.cutShare) {
      later(100 + random() * 1500, () => {
        cuts += 1;
        client.destroy();
        upstream.destroy();
      });
    } else if (roll < options.cutShare + options.stallShare) {
      later(100 + random() * 1000, () => {
        stalls += 1;
        client.pause();
        upstream.pause();
        later(options.stallMs, () => {
          client.resume();
          upstream.resume();
        });
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get cuts() {
      return cuts;
    },
    get stalls() {
      return stalls;
    },
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
