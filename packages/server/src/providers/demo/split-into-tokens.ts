/**
 * Splits text into the demo model's tokens: a word with its trailing space, long words in pieces of
 * four code points. Its usage counts these, and `max_tokens` limits them.
 */
export function splitIntoTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.match(/\S+\s*|\s+/g) ?? []) {
    const characters = Array.from(word);
    for (let index = 0; index < characters.length; index += 4) tokens.push(characters.slice(index, index + 4).join(''));
  }
  return tokens;
}
