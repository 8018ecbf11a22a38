import { type ChatRequest, SluiceError } from '@sluice/protocol';
import type { RetrievalPlan } from '../../pipeline/retrieval/ground-chat-request.ts';
import { findQuestion } from '../../retrieval/prompt/build-grounded-messages.ts';
import { defaultRetrievalLimits } from '../../retrieval/retrieval-limits.ts';
import { findStoreOf, type CollectionServices } from './collections.ts';
import type { RetrievalOptions } from '../dialects/retrieval-field.ts';

/**
 * Checks a `retrieval` request before anything streams, so that its mistakes are plain HTTP errors:
 * no user message with text is a 400, a missing collection a 404, a store that cannot be reached a 502.
 * The search itself runs in the relay, under the stream's signal.
 */
export async function planRetrieval(
  services: CollectionServices,
  chatRequest: ChatRequest,
  options: RetrievalOptions | undefined,
): Promise<RetrievalPlan | undefined> {
  if (options === undefined) return undefined;
  const question = findQuestion(chatRequest.messages);
  if (question === undefined) {
    throw new SluiceError('bad_request', 'retrieval needs a user message with text to search for', { param: 'messages' });
  }
  const store = await findStoreOf(services, options.collection);
  await store.getCollection(options.collection);
  return {
    store,
    collection: options.collection,
    topK: options.topK ?? services.settings.retrievalTopK,
    // A question longer than a search query may be (a pasted document) is searched by its beginning.
    question: question.slice(0, defaultRetrievalLimits.maxQueryChars),
  };
}
