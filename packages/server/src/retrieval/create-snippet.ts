/**
 * A short excerpt of a chunk for display: the window of at most `maxChars` characters that holds the
 * most query terms, led in by a little context, cut at word boundaries, with an ellipsis where text was
 * left out.
 */
export function createSnippet(text: string, queryTerms: readonly string[], maxChars = 240): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const words = [...flat.matchAll(/\S+/g)].map((match) => ({ start: match.index, end: match.index + match[0].length, word: match[0] }));
  const prefixes = new Set(queryTerms.map(matchPrefix));
  const isHit = words.map(({ word }) => prefixes.has(matchPrefix(word.toLowerCase().replace(/[^\p{L}\p{N}\p{M}]/gu, ''))));
  // Room for the ellipses.
  const width = maxChars - 2;
  const fits = (first: number, last: number) => words[last]!.end - words[first]!.start <= width;

  let bestFirst = 0;
  let bestHits = -1;
  let last = -1;
  let windowHits = 0;
  for (let first = 0; first < words.length; first++) {
    if (last >= first - 1 && first > 0 && isHit[first - 1]) windowHits -= 1;
    if (last < first - 1) last = first - 1;
    while (last + 1 < words.length && fits(first, last + 1)) windowHits += isHit[++last] ? 1 : 0;
    if (windowHits > bestHits) {
      bestHits = windowHits;
      bestFirst = first;
    }
  }

  // The earliest best window may end on its first hit; start a quarter window before that hit instead.
  const firstHit = isHit.indexOf(true, bestFirst);
  if (bestHits > 0) {
    while (bestFirst < firstHit && words[firstHit]!.start - words[bestFirst]!.start > width / 4) bestFirst += 1;
  }

  const start = words[bestFirst]!.start;
  let end = start + width;
  for (let index = bestFirst; index < words.length && fits(bestFirst, index); index++) end = words[index]!.end;
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}

/** A crude stem so that "lighthouses" finds "lighthouse": the first five characters of longer words. */
function matchPrefix(word: string): string {
  return word.length > 5 ? word.slice(0, 5) : word;
}
