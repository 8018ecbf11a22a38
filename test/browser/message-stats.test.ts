import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMessageStats, formatMilliseconds } from '../../packages/server/src/web/message-stats.ts';
import { renderMarkdown } from '../../packages/server/src/web/render-markdown.ts';

describe('chat page helpers', () => {
  it('computes time to first token and tokens per second from the message', () => {
    const usage = { type: 'usage', prompt_tokens: 10, completion_tokens: 21, total_tokens: 31, estimated: false } as const;
    const stats = computeMessageStats({
      id: 'a',
      role: 'assistant',
      content: 'x',
      usage,
      timing: { startedAt: 100, firstTokenAt: 450, finishedAt: 2450 },
    });
    assert.equal(stats.timeToFirstTokenMs, 350);
    assert.equal(stats.tokensPerSecond, 10);
    const streaming = computeMessageStats({ id: 'b', role: 'assistant', content: 'x', timing: { startedAt: 100, firstTokenAt: 300 } });
    assert.equal(streaming.tokensPerSecond, undefined);
    assert.equal(formatMilliseconds(349.6), '350 ms');
    assert.equal(formatMilliseconds(1234), '1.23 s');
  });

  it('renders Markdown with the HTML of the text escaped, no images and only safe links', () => {
    const html = renderMarkdown(
      '<img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n[a](javascript:alert(3)) [b](https://example.com) ![c](https://tracker.example/p.png)',
    );
    assert.doesNotMatch(html, /<img|<script|href="javascript/);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt; &lt;script&gt;/);
    assert.match(html, /<a href="https:\/\/example.com" target="_blank" rel="noopener noreferrer nofollow">b<\/a>/);
  });

  it('renders an unclosed code fence as a code block holding what has arrived', () => {
    assert.equal(
      renderMarkdown('Here:\n\n```js\nconst x = "<b>";'),
      '<p>Here:</p>\n<pre><code class="language-js">const x = &quot;&lt;b&gt;&quot;;</code></pre>\n',
    );
  });
});
