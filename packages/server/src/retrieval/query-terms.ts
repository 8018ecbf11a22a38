/**
 * The words of a search query, reduced to letters and digits. Stores build their full-text queries from
 * these words only, each quoted as a literal term, so user text is never read as query syntax (FTS5's
 * `"`, `*`, `:`, `^`, `NEAR`, `AND`, `OR`, `NOT`; PostgreSQL's `&`, `|`, `!`, `<->`, `:*`).
 */

// Words that match nearly every chunk: they cost a full scan and add nothing to a BM25 ranking.
const stopWords = new Set(
  'a an and are as at be but by did do does for from had has have how i in is it its of on or that the their there these this to was were what when where which who whom whose why will with you your'.split(
    ' ',
  ),
);

const wordPattern = /[\p{L}\p{N}\p{M}]+/gu;

/** Lowercase, distinct words of `query`, stop words dropped unless the query holds nothing else. */
export function extractQueryTerms(query: string): string[] {
  const words = [...new Set(query.toLowerCase().match(wordPattern) ?? [])];
  const meaningful = words.filter((word) => !stopWords.has(word));
  return meaningful.length > 0 ? meaningful : words;
}
