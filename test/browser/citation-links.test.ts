/** The answer's `[n]` markers as links to its sources, made as Markdown tokens so nothing escapes unescaped. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMarkdown } from '../../packages/server/src/web/render-markdown.ts';

const links = { sourceCount: 3, anchorPrefix: 'source-m1-' };
const citation = (number: number) => `<a href="#source-m1-${number}" class="citation">[${number}]</a>`;

describe('citation links', () => {
  it('links [n] for each source, adjacent markers too, and stays inside the page', () => {
    assert.equal(renderMarkdown('Six metres [1], cod at dawn [2][3].', links), `<p>Six metres ${citation(1)}, cod at dawn ${citation(2)}${citation(3)}.</p>\n`);
  });

  it('leaves numbers that are no source, code, and the text of other links alone', () => {
    const html = renderMarkdown('In [1999] and [4], `[1]` and [see [2]](https://example.com/a).', links);
    assert.equal(
      html,
      '<p>In [1999] and [4], <code>[1]</code> and <a href="https://example.com/a" target="_blank" rel="noopener noreferrer nofollow">see [2]</a>.</p>\n',
    );
  });

  it('links nothing without sources', () => {
    assert.equal(renderMarkdown('Plain [1].'), '<p>Plain [1].</p>\n');
    assert.equal(renderMarkdown('Plain [1].', { sourceCount: 0, anchorPrefix: 'x' }), '<p>Plain [1].</p>\n');
  });

  it('keeps escaping the model text around a citation', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)>[2]<script>alert(2)</script>', links);
    assert.equal(html, `<p>&lt;img src=x onerror=alert(1)&gt;${citation(2)}&lt;script&gt;alert(2)&lt;/script&gt;</p>\n`);
  });

  it('escapes the anchor prefix it is given', () => {
    assert.match(renderMarkdown('[1]', { sourceCount: 1, anchorPrefix: '"><b>' }), /href="#&quot;&gt;&lt;b&gt;1"/);
  });
});
