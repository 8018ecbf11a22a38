import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdminRequest } from './handle-admin-request.ts';
import { applyConnectionLimits } from './http/apply-connection-limits.ts';
import type { ServerState } from './handle-request.ts';

export interface AdminListener {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** SLUICE_ADMIN_PORT: `/metrics`, `/admin/keys` and the probes on a port of their own, on HOST. */
export async function startAdminListener(state: ServerState, host: string, port: number): Promise<AdminListener> {
  const server = createServer({ noDelay: true }, (request, response) => {
    void handleAdminRequest(state, request, response);
  });
  applyConnectionLimits(server, state.settings);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
