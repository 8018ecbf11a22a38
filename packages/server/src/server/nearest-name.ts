export interface NearestNameOptions {
  /** What is compared of each name, so that `SLUICE_PORT` can find `PORT`. @default the name itself */
  comparable?: (name: string) => string;
  /** Farther candidates are no suggestion: undefined then. @default no limit */
  maxDistance?: number;
}

/**
 * The candidate closest to `name` by edit distance (one letter inserted, removed or changed counts one),
 * for a "did you mean" in an error message; the first of equally close ones.
 */
export function nearestName(name: string, candidates: readonly string[], options: NearestNameOptions = {}): string | undefined {
  const comparable = options.comparable ?? ((text: string) => text);
  const target = comparable(name);
  let nearest: string | undefined;
  let nearestDistance = (options.maxDistance ?? Number.POSITIVE_INFINITY) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(target, comparable(candidate));
    if (distance < nearestDistance) {
      nearest = candidate;
      nearestDistance = distance;
    }
  }
  return nearest;
}

/** Levenshtein distance, one row at a time. */
function editDistance(from: string, to: string): number {
  let previous = Array.from({ length: to.length + 1 }, (_, index) => index);
  for (let row = 1; row <= from.length; row++) {
    const current = [row];
    for (let column = 1; column <= to.length; column++) {
      const substitution = previous[column - 1]! + (from[row - 1] === to[column - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[column]! + 1, current[column - 1]! + 1));
    }
    previous = current;
  }
  return previous[to.length]!;
}
