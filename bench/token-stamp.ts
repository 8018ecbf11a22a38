/**
 * Each upstream event's text starts with a stamp of the monotonic time it was written, `~~<µs>~`.
 * Relays may re-encode JSON or merge events, but they keep the text, so the load generator finds every
 * stamp in the raw bytes, whatever the dialect, and knows each token's one-way relay latency without
 * parsing a single JSON object.
 */
const STAMP_OPEN = '~~';
const STAMP_CLOSE = '~';
const FILLER_TOKEN = ' tok';

export function formatStampedText(writeTimeUs: number, tokensInEvent: number): string {
  return `${STAMP_OPEN}${Math.round(writeTimeUs)}${STAMP_CLOSE}${FILLER_TOKEN.repeat(tokensInEvent - 1)}`;
}

/** Finds stamps in a byte stream cut at arbitrary points; keeps an unfinished stamp for the next chunk. */
export class StampScanner {
  private carry = '';

  /** Calls `visit` with the write time of each whole stamp in `chunk`; returns how many it found. */
  scan(chunk: Buffer, visit: (writeTimeUs: number) => void): number {
    const text = this.carry === '' ? chunk.toString('latin1') : this.carry + chunk.toString('latin1');
    let found = 0;
    let position = 0;
    for (;;) {
      const open = text.indexOf(STAMP_OPEN, position);
      if (open === -1) {
        // A trailing "~" may be the first half of the next stamp's opening.
        this.carry = text.length > position && text.endsWith('~') ? '~' : '';
        return found;
      }
      const close = text.indexOf(STAMP_CLOSE, open + STAMP_OPEN.length);
      if (close === -1) {
        this.carry = text.slice(open);
        return found;
      }
      visit(Number(text.slice(open + STAMP_OPEN.length, close)));
      found += 1;
      position = close + 1;
    }
  }
}
