/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each ranking gives an item
 * `1 / (k + rank)`, rank from 1, and items are ordered by the sum. It needs no score calibration between
 * rankers, which is why it suits BM25 and cosine similarity, whose scales have nothing in common.
 *
 * Returns the keys of all ranked items with their fused scores, best first; ties keep the order of first
 * appearance.
 */
export function fuseRankings(rankings: readonly (readonly string[])[], k = 60): { key: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const ranking of rankings) {
    ranking.forEach((key, index) => scores.set(key, (scores.get(key) ?? 0) + 1 / (k + index + 1)));
  }
  return [...scores].map(([key, score]) => ({ key, score })).sort((left, right) => right.score - left.score);
}
