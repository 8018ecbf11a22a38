import MarkdownIt, { type Token } from 'markdown-it';

/** A top-level block of a Markdown document (paragraph, list, code block, table, quote, ...). */
export interface MarkdownBlock {
  /** The headings above the block, outermost first, as plain text. */
  headingPath: string[];
  /** The block's source text, Markdown included. */
  text: string;
}

const markdown = new MarkdownIt();

/**
 * The top-level blocks of `text` (with `\n` line ends) and the headings they sit under, from markdown-it's
 * source map, so a `#` inside a code block is not a heading and setext headings are. Heading lines
 * themselves go to the path, not to a block.
 */
export function readMarkdownBlocks(text: string): MarkdownBlock[] {
  const lines = text.split('\n');
  const headings: { level: number; text: string }[] = [];
  let headingPath: string[] = [];
  const blocks: MarkdownBlock[] = [];
  const tokens = markdown.parse(text, {});
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.level !== 0 || token.nesting === -1 || token.map === null) continue;
    if (token.type === 'heading_open') {
      const level = Number(token.tag.slice(1));
      while (headings.length > 0 && headings.at(-1)!.level >= level) headings.pop();
      headings.push({ level, text: readInlineText(tokens[index + 1]) });
      headingPath = headings.map((heading) => heading.text);
      continue;
    }
    const blockText = lines.slice(token.map[0], token.map[1]).join('\n').trim();
    if (blockText !== '') blocks.push({ headingPath, text: blockText });
  }
  return blocks;
}

/** The plain text of the first heading of a Markdown document, if it has one. */
export function findFirstHeading(text: string): string | undefined {
  const tokens = markdown.parse(text, {});
  const index = tokens.findIndex((token) => token.type === 'heading_open');
  const heading = index === -1 ? '' : readInlineText(tokens[index + 1]);
  return heading === '' ? undefined : heading;
}

/** "Using `npm` with **care**" → "Using npm with care": the text and code of an inline token. */
function readInlineText(inline: Token | undefined): string {
  const parts = inline?.children?.filter((child) => child.type === 'text' || child.type === 'code_inline') ?? [];
  return parts
    .map((child) => child.content)
    .join('')
    .trim();
}
