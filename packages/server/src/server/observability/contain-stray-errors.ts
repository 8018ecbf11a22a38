import { currentStreamScope } from '../relay/stream-scope.ts';
import type { Logger } from './logger.ts';
import type { SluiceMetrics } from './metrics.ts';

/**
 * Installs the process's handlers for an exception or a rejection nothing caught. Node's default is to
 * exit, losing every stream in flight to one stream's bug or one upstream's odd reply; here the stream
 * whose code it came from (see `runInStreamScope`) ends with an `internal` error, and the error is
 * logged and counted (`sluice_stray_errors_total`). One outside any stream is logged and counted too,
 * and the process goes on serving. Returns the function that removes the handlers.
 */
export function containStrayErrors(logger: Logger, metrics: SluiceMetrics): () => void {
  const onStrayError = (error: unknown, origin: 'exception' | 'rejection'): void => {
    const endStream = currentStreamScope();
    metrics.strayErrors.inc({ scope: endStream === undefined ? 'process' : 'stream', origin });
    logger.error({ err: error, origin, ended_stream: endStream !== undefined }, `uncaught ${origin}${endStream === undefined ? '' : '; its stream was ended'}`);
    endStream?.(error);
  };
  const onException = (error: Error): void => onStrayError(error, 'exception');
  const onRejection = (reason: unknown): void => onStrayError(reason, 'rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
