import { ContinuedStream } from '../../pipeline/continuation/continue-on-failure.ts';
import type { OpenUpstreamOptions } from '../../pipeline/open-with-fallbacks.ts';
import type { ModelRoute } from '../../pipeline/route-model.ts';
import type { Logger } from '../observability/logger.ts';

/** The continuation stage for a stream on `route`, logging each continuation; undefined when the route does not continue failures. */
export function createContinuedStream(logger: Logger, route: ModelRoute, options: OpenUpstreamOptions, streamId: string): ContinuedStream | undefined {
  if (route.continueOnFailure === undefined) return undefined;
  return new ContinuedStream({
    ...options,
    targets: route.targets,
    continueOnFailure: route.continueOnFailure,
    onContinued: (part, failure, failed, next) =>
      logger.warn(
        {
          request_id: options.requestId,
          stream_id: streamId,
          provider: failed.providerName,
          error_code: failure.code,
          trigger: part.trigger,
          continued_by: next.providerName,
          method: part.method,
        },
        'upstream failed mid-stream; another attempt continues the answer',
      ),
  });
}
