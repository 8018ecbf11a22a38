import type { RouteTarget } from '../route-model.ts';

/**
 * What a client of a continuing route is told in `meta`: `exact` when every target continues from a
 * prefill, `instruction` when one of them can only be asked to go on in words, so a seam may be imperfect.
 */
export function continuationOfRoute(targets: readonly RouteTarget[]): 'exact' | 'instruction' {
  return targets.some((target) => target.provider.continuation.method === 'instruction') ? 'instruction' : 'exact';
}
