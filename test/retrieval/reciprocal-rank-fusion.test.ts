import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuseRankings } from '../../packages/server/src/retrieval/reciprocal-rank-fusion.ts';

describe('fuseRankings', () => {
  it('sums 1 / (k + rank) over the rankings and orders by the sum', () => {
    const fused = fuseRankings(
      [
        ['a', 'b', 'c'],
        ['c', 'b'],
      ],
      60,
    );
    assert.deepEqual(fused, [
      { key: 'c', score: 1 / 63 + 1 / 61 },
      { key: 'b', score: 1 / 62 + 1 / 62 },
      { key: 'a', score: 1 / 61 },
    ]);
  });

  it('keeps the order of first appearance for equal scores, and handles empty rankings', () => {
    assert.deepEqual(
      fuseRankings([['a'], ['b']]).map(({ key }) => key),
      ['a', 'b'],
    );
    assert.deepEqual(fuseRankings([[], []]), []);
  });
});
