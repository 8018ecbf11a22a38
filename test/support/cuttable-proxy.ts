import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface CuttableProxy {
  url: string;
  /** Drops every open connection at once, as a network failure would. */
  cutAll(): void;
  /** While true, every new connection is reset as soon as it opens (a network that stays down). */
  refuseNew(refuse: boolean): void;
  close(): Promise<void>;
}

/** A TCP relay in front of Sluice whose connections the test can cut: the fault sits in the network, not in either end. */
export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutAll: () => {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    refuseNew: (refuse) => {
      refusing = refuse;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
