import type { Source, StreamPart } from '@sluice/protocol';
import { findCitations } from '../../retrieval/prompt/find-citations.ts';

/**
 * The stage of a grounded stream: the `sources` part first, before any token, then the answer as it
 * comes, whose `finish` part lists the source numbers the answer cited (`[1]` is `sources[0]`). The
 * citations are read from the whole answer once it ends, so a marker split across deltas counts.
 */
export async function* citeSources(source: AsyncIterable<StreamPart[]>, sources: Source[]): AsyncGenerator<StreamPart[]> {
  yield [{ type: 'sources', sources }];
  let answer = '';
  for await (const batch of source) {
    yield batch.map((part) => {
      if (part.type === 'text-delta') answer += part.text;
      return part.type === 'finish' ? { ...part, citations: findCitations(answer, sources.length) } : part;
    });
  }
}
