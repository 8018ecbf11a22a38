/** Where a continuation's text meets the text the client already has: what is dropped, what is kept. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createContinuationSeam } from '../../packages/server/src/pipeline/continuation/continuation-seam.ts';

/** Feeds `deltas` through a seam and returns what the client gets. */
function join(seam: ReturnType<typeof createContinuationSeam>, deltas: string[]): string {
  return deltas.map((delta) => seam.accept(delta)).join('') + seam.end();
}

describe('continuation seam', () => {
  test('a prefill drops only the whitespace it could not send, as far as the model writes it again', () => {
    assert.equal(join(createContinuationSeam('List:\n\n', 'prefill', '\n\n'), ['\n', '\n- one', ' two']), '- one two');
    assert.equal(join(createContinuationSeam('List:\n\n', 'prefill', '\n\n'), ['\n- one']), '- one');
    assert.equal(join(createContinuationSeam('Hello ', 'prefill', ''), [' world']), ' world', 'nothing expected, nothing dropped');
  });

  test('an instruction-led continuation that repeats the end of the answer loses the repeat', () => {
    const sent = 'The Moon pulls the sea towards it, so the water ';
    assert.equal(join(createContinuationSeam(sent, 'instruction', ''), ['so the water ', 'rises twice a day.']), 'rises twice a day.');
  });

  test('an instruction-led continuation that starts over is skipped while it retells the answer', () => {
    const sent = 'Tides come from the Moon. ';
    assert.equal(join(createContinuationSeam(sent, 'instruction', ''), ['Tides come ', 'from the Moon. And ', 'the Sun.']), 'And the Sun.');
  });

  test('a short accidental overlap is kept: the seam only drops repeats of eight characters or more', () => {
    assert.equal(join(createContinuationSeam('I said no. ', 'instruction', ''), ['no. Then I left.']), 'no. Then I left.');
  });

  test('what is held back to look for a repeat is sent when the continuation ends early', () => {
    assert.equal(join(createContinuationSeam('A long answer that was cut short at this point: ', 'instruction', ''), ['done.']), 'done.');
  });
});
