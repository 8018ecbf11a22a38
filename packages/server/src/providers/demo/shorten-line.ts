/** `text` on one line, cut to at most `maxCharacters` code points with an ellipsis where it was cut. */
export function shortenLine(text: string, maxCharacters: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const characters = Array.from(line);
  return characters.length > maxCharacters ? `${characters.slice(0, maxCharacters - 1).join('').trimEnd()}…` : line;
}

/** The question in quotation marks, on one line and shortened, for the demo's answers to say what they answer. */
export function quoteQuestion(question: string): string {
  return `“${shortenLine(question, 80)}”`;
}
