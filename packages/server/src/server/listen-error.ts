/**
 * Sluice could not listen on its address. The message names the address and what to do about it; Node's
 * error is the `cause`, and its `code` (EADDRINUSE, EACCES, ENOTFOUND, ...) is kept.
 */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  readonly code: string | undefined;

  constructor(message: string, cause: NodeJS.ErrnoException) {
    super(message, { cause });
    this.code = cause.code;
  }
}

/** Node's `listen` error as a ListenError that says which HOST and PORT failed, and why in words. */
export function toListenError(error: NodeJS.ErrnoException, host: string, port: number): ListenError {
  return new ListenError(`Cannot listen on ${host} port ${port}: ${explain(error, host, port)}`, error);
}

function explain(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} is in use by another process; stop it, or set PORT to a free port (PORT=0 picks one)`;
    case 'EACCES':
      return port < 1024
        ? `permission denied: ports below 1024 need privileges; set PORT to 1024 or above (the default is 8787)`
        : `permission denied; set PORT to another port`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine; set HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for all)`;
    case 'ENOTFOUND':
      return `HOST ${JSON.stringify(host)} is neither an IP address nor a name this machine can resolve; set HOST to an IP address (127.0.0.1, or 0.0.0.0 for all)`;
    case 'EAI_AGAIN':
      return `HOST ${JSON.stringify(host)} could not be resolved now (the DNS server did not answer); set HOST to an IP address, or try again`;
    default:
      return error.message;
  }
}
