import MarkdownIt, { type StateCore, type Token } from 'markdown-it';

/** How to link an answer's citation markers to the sources shown below it. */
export interface CitationLinks {
  /** Markers `[1]` to `[sourceCount]` become links; other numbers stay text. */
  sourceCount: number;
  /** Source `n` is the element with id `${anchorPrefix}${n}`. */
  anchorPrefix: string;
}

/**
 * Markdown for model output, which is untrusted and often unfinished. Raw HTML is escaped (`html: false`),
 * markdown-it refuses `javascript:`-style link targets, and images are not rendered at all: an image URL
 * the model writes would be fetched without a click, which lets an injected prompt send data away.
 * An unfinished construct (an open code fence, a half-written link) renders as what it is so far.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false }).disable('image');

const renderLinkOpen =
  markdown.renderer.rules.link_open ?? ((tokens, index, options, _environment, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, environment, self) => {
  const token = tokens[index]!;
  // A citation jumps within the page; every other link leaves it.
  if (!String(token.attrGet('href')).startsWith('#')) {
    token.attrSet('target', '_blank');
    token.attrSet('rel', 'noopener noreferrer nofollow');
  }
  return renderLinkOpen(tokens, index, options, environment, self);
};

const citationMarker = /\[(\d{1,3})\]/g;

/**
 * Turns `[n]` in the answer's text into a link to source `n`, as tokens (so the renderer escapes
 * everything as usual), leaving code and the text of other links alone.
 */
markdown.core.ruler.push('source_citations', (state: StateCore) => {
  const links = (state.env as { citations?: CitationLinks }).citations;
  if (links === undefined || links.sourceCount === 0) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || block.children === null) continue;
    let linkDepth = 0;
    block.children = block.children.flatMap((token) => {
      if (token.type === 'link_open') linkDepth += 1;
      if (token.type === 'link_close') linkDepth -= 1;
      return token.type === 'text' && linkDepth === 0 ? linkCitations(token, state, links) : [token];
    });
  }
});

function linkCitations(token: Token, state: StateCore, links: CitationLinks): Token[] {
  const tokens: Token[] = [];
  let textStart = 0;
  const addText = (content: string): void => {
    if (content === '') return;
    const text = new state.Token('text', '', 0);
    text.content = content;
    tokens.push(text);
  };
  for (const match of token.content.matchAll(citationMarker)) {
    const number = Number(match[1]);
    if (number < 1 || number > links.sourceCount) continue;
    addText(token.content.slice(textStart, match.index));
    const open = new state.Token('link_open', 'a', 1);
    open.attrs = [
      ['href', `#${links.anchorPrefix}${number}`],
      ['class', 'citation'],
    ];
    tokens.push(open);
    addText(match[0]);
    tokens.push(new state.Token('link_close', 'a', -1));
    textStart = match.index + match[0].length;
  }
  if (textStart === 0) return [token];
  addText(token.content.slice(textStart));
  return tokens;
}

export function renderMarkdown(text: string, citations?: CitationLinks): string {
  return markdown.render(text, { citations });
}
