import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractQueryTerms } from '../../packages/server/src/retrieval/query-terms.ts';

describe('extractQueryTerms', () => {
  it('keeps distinct lowercase words of letters, digits and marks, and nothing else', () => {
    assert.deepEqual(extractQueryTerms('NEAR("Keeper" keeper*, 2) AND title:Café -x ^y 1881'), [
      'near',
      'keeper',
      '2',
      'title',
      'café',
      'x',
      'y',
      '1881',
    ]);
    assert.deepEqual(extractQueryTerms(`"*:()^- & | ! <-> '; --`), []);
  });

  it('drops stop words unless the query holds nothing else', () => {
    assert.deepEqual(extractQueryTerms('Who is the keeper of the lamp?'), ['keeper', 'lamp']);
    assert.deepEqual(extractQueryTerms('The Who'), ['the', 'who']);
  });
});
