// Words too common to say what a question is about.
const commonWords = new Set(
  'about also and are but can could did does for from give has have how into its just let like made make many more most much not now one our out please she should show some tell than that the their them then there they this was were what when where which who why will with would you your'.split(
    ' ',
  ),
);

/**
 * The words of `text` that say what it is about, for the demo's crude matching of a question to a tool
 * or a source: lowercase, three letters or more, common words left out, each cut to its first five
 * letters so that "lighthouses" meets "lighthouse".
 */
export function significantWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const [word] of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    if (word.length >= 3 && !commonWords.has(word)) words.add(word.slice(0, 5));
  }
  return words;
}

/** How many of `wanted` occur in `text`. */
export function countSharedWords(wanted: ReadonlySet<string>, text: string): number {
  let count = 0;
  for (const word of significantWords(text)) if (wanted.has(word)) count += 1;
  return count;
}
