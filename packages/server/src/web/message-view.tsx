import { memo, useMemo } from 'react';
import type { UIMessage } from '@sluice/react';
import { computeMessageStats, formatMilliseconds } from './message-stats.ts';
import { renderMarkdown, type CitationLinks } from './render-markdown.ts';
import { SourcesList } from './sources-list.tsx';
import { toTrustedHtml } from './trusted-html.ts';

interface MessageViewProps {
  message: UIMessage;
  /** True for the answer that is still streaming: it shows the cursor. */
  streaming: boolean;
}

/** One message. User text is shown as text; assistant text as Markdown rendered without any HTML of its own. */
export const MessageView = memo(function MessageView({ message, streaming }: MessageViewProps) {
  if (message.role !== 'assistant') {
    return (
      <article className={`message message-${message.role}`} data-role={message.role}>
        <p className="message-text">{message.content}</p>
      </article>
    );
  }
  const anchorPrefix = `source-${message.id}-`;
  const sourceCount = message.sources?.length ?? 0;
  return (
    <article className="message message-assistant" data-role="assistant" data-finish-reason={message.finishReason ?? ''}>
      <AssistantText content={message.content} streaming={streaming} sourceCount={sourceCount} anchorPrefix={anchorPrefix} />
      {message.sources !== undefined && <SourcesList sources={message.sources} citations={message.citations} anchorPrefix={anchorPrefix} />}
      <MessageFooter message={message} />
    </article>
  );
});

interface AssistantTextProps extends CitationLinks {
  content: string;
  streaming: boolean;
}

/** The answer as Markdown; its `[n]` markers link to the sources below it. */
function AssistantText({ content, streaming, sourceCount, anchorPrefix }: AssistantTextProps) {
  const html = useMemo(
    () => toTrustedHtml(renderMarkdown(content, { sourceCount, anchorPrefix })),
    [content, sourceCount, anchorPrefix],
  );
  const className = `markdown${streaming ? ' streaming' : ''}`;
  if (content === '') return <div className={className}>{streaming && <span className="cursor" aria-hidden="true" />}</div>;
  return <div className={className} dangerouslySetInnerHTML={{ __html: html }} />;
}

function MessageFooter({ message }: { message: UIMessage }) {
  const stats = computeMessageStats(message);
  const parts: string[] = [];
  if (message.model) parts.push(message.model);
  if (stats.timeToFirstTokenMs !== undefined) parts.push(`first token ${formatMilliseconds(stats.timeToFirstTokenMs)}`);
  if (stats.tokensPerSecond !== undefined) parts.push(`${stats.tokensPerSecond.toFixed(1)} tokens/s`);
  if (stats.usage !== undefined) {
    const { prompt_tokens, completion_tokens, total_tokens, estimated } = stats.usage;
    parts.push(
      `${estimated ? '≈ ' : ''}${prompt_tokens} in + ${completion_tokens} out = ${total_tokens} tokens${estimated ? ' (estimated)' : ''}`,
    );
  }
  if (message.reconnects) parts.push(`resumed after ${message.reconnects} dropped connection${message.reconnects === 1 ? '' : 's'}`);
  return (
    <footer className="message-footer">
      {message.finishReason === 'cancelled' && <span className="badge badge-stopped">stopped</span>}
      {message.finishReason === 'length' && <span className="badge badge-stopped">cut at the length limit</span>}
      {message.finishReason === 'error' && <span className="badge badge-stopped">interrupted</span>}
      <span className="stats" data-testid="stats">
        {parts.join(' · ')}
      </span>
    </footer>
  );
}
