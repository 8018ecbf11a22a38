import { pino, type DestinationStream, type Logger } from 'pino';
import type { Redact } from './create-redactor.ts';

export type { Logger };

/**
 * JSON lines on stdout (or the given destination), one object per event, `msg` for humans; `fields` go
 * on every line (a worker's number). Each line is redacted whole just before it is written, so no field,
 * error message, stack or cause can carry a configured secret out; that costs a pass over the line, and
 * lines are per stream, never per token.
 */
export function createLogger(level: string, destination?: DestinationStream, redact?: Redact, fields: Record<string, unknown> = {}): Logger {
  return pino(
    { level, base: { service: 'sluice', ...fields }, timestamp: pino.stdTimeFunctions.isoTime, ...(redact === undefined ? {} : { hooks: { streamWrite: redact } }) },
    destination ?? pino.destination({ sync: false }),
  );
}
