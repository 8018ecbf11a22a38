import type { ContinuationMethod } from '@sluice/protocol';

/**
 * Where a continuation's text meets what the client already has, so that the whole reads as one answer
 * with no repeat. `accept` takes each text delta of the continuation and returns what to send (possibly
 * ''); `end` returns what it still holds once the continuation finished.
 */
export interface ContinuationSeam {
  accept(text: string): string;
  end(): string;
}

/** Shortest repeat of the answer's tail that an instruction-led continuation is taken to have made. */
const minimumOverlapCharacters = 8;
/** How much of an instruction-led continuation is held back to look for a repeat before any is sent. */
const lookaheadCharacters = 64;

/**
 * A prefill continues exactly after the text it was given: only `repeated` (whitespace the prefill had to
 * leave out) comes again, and is dropped as far as the continuation writes it.
 *
 * An instruction-led continuation may start over or repeat the last words. Its first
 * `lookaheadCharacters` are held back: if they begin the answer again, the continuation is skipped for as
 * long as it repeats the answer; otherwise the longest overlap of at least `minimumOverlapCharacters`
 * between the answer's end and the continuation's start is dropped. Shorter repeats stay: the seam is best
 * effort there, which the stream's `meta` says (`continuation: "instruction"`).
 */
export function createContinuationSeam(sentText: string, method: ContinuationMethod, repeated: string): ContinuationSeam {
  return method === 'instruction' ? new InstructionSeam(sentText) : new PrefillSeam(repeated);
}

class PrefillSeam implements ContinuationSeam {
  private expected: string;

  constructor(repeated: string) {
    this.expected = repeated;
  }

  accept(text: string): string {
    if (this.expected === '') return text;
    let matched = 0;
    while (matched < text.length && matched < this.expected.length && text[matched] === this.expected[matched]) matched += 1;
    // Past the first character that differs the model is writing new text: expect nothing more.
    this.expected = matched === text.length ? this.expected.slice(matched) : '';
    return text.slice(matched);
  }

  end(): string {
    return '';
  }
}

class InstructionSeam implements ContinuationSeam {
  private readonly sentText: string;
  private held = '';
  /** While the continuation is retelling the answer from its start: how far it got. */
  private retold = -1;
  private decided = false;

  constructor(sentText: string) {
    this.sentText = sentText;
  }

  accept(text: string): string {
    if (this.decided && this.retold < 0) return text;
    if (this.retold >= 0) return this.skipRetelling(text);
    this.held += text;
    if (this.held.length < Math.min(lookaheadCharacters, this.sentText.length)) return '';
    return this.decide();
  }

  end(): string {
    if (this.decided) return '';
    return this.decide();
  }

  private decide(): string {
    this.decided = true;
    const held = this.held;
    this.held = '';
    if (held.length > 0 && this.sentText.startsWith(held.slice(0, Math.min(held.length, this.sentText.length)))) {
      this.retold = 0;
      return this.skipRetelling(held);
    }
    for (let overlap = Math.min(held.length, this.sentText.length); overlap >= minimumOverlapCharacters; overlap -= 1) {
      if (this.sentText.endsWith(held.slice(0, overlap))) return held.slice(overlap);
    }
    return held;
  }

  private skipRetelling(text: string): string {
    let index = 0;
    while (index < text.length && this.retold < this.sentText.length && text[index] === this.sentText[this.retold]) {
      index += 1;
      this.retold += 1;
    }
    if (index === text.length && this.retold < this.sentText.length) return '';
    this.retold = -1;
    return text.slice(index);
  }
}
