import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout (or the given destination), one object per event, `msg` for humans; `fields` go
 * on every line (a worker's number).
 */
export function createLogger(level: string, destination?: DestinationStream, fields: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'sluice', ...fields }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ sync: false }));
}
