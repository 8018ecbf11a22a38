import type { Source } from '@sluice/client';

interface SourcesListProps {
  sources: readonly Source[];
  /** The numbers the answer cited, once it has finished; undefined while it streams. */
  citations: readonly number[] | undefined;
  /** Source `n` gets the id `${anchorPrefix}${n}`, the target of the answer's `[n]` links. */
  anchorPrefix: string;
}

/**
 * The sources an answer was grounded in, numbered as the answer cites them. A source whose metadata
 * holds an http(s) `url` links to it; once the answer is done, the sources it cited are marked.
 */
export function SourcesList({ sources, citations, anchorPrefix }: SourcesListProps) {
  return (
    <section className="sources" aria-label="Sources" data-testid="sources">
      <ol>
        {sources.map((source, index) => {
          const number = index + 1;
          const cited = citations?.includes(number) === true;
          const url = linkOf(source);
          return (
            <li key={number} id={`${anchorPrefix}${number}`} className={cited ? 'source cited' : 'source'} data-cited={cited}>
              <span className="source-number">[{number}]</span>{' '}
              {url === undefined ? (
                <span className="source-title">{source.title || source.id}</span>
              ) : (
                <a className="source-title" href={url} target="_blank" rel="noopener noreferrer nofollow">
                  {source.title || source.id}
                </a>
              )}
              {cited && <span className="badge badge-cited">cited</span>}
              <span className="source-snippet">{source.snippet}</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** `metadata.url` when it is an http(s) URL: nothing else may become a link target. */
function linkOf(source: Source): string | undefined {
  const url = source.metadata.url;
  if (typeof url !== 'string') return undefined;
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
