import { randomUUID } from 'node:crypto';
import type { HttpRequest } from './http-types.ts';

const acceptable = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

/** The client's `X-Request-Id` when it is a sane token (it ends up in logs), otherwise a new UUID. */
export function requestIdOf(request: HttpRequest): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
}
