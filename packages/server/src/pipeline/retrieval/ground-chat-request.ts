import type { ChatRequest, Source } from '@sluice/protocol';
import { buildGroundedMessages } from '../../retrieval/prompt/build-grounded-messages.ts';
import type { RetrievalStore } from '../../retrieval/retrieval-store.ts';

/** A retrieval the request asked for, checked before the stream began: the collection exists, there is a question. */
export interface RetrievalPlan {
  store: RetrievalStore;
  collection: string;
  topK: number;
  /** The text searched for: the last user message. */
  question: string;
}

/** What retrieval found and the request that puts it in front of the model. */
export interface Grounding {
  /** The request with the sources in its last user message (`buildGroundedMessages`), and as `grounding`. */
  chatRequest: ChatRequest;
  /** What the `sources` part carries, numbered from 1 in this order. */
  sources: Source[];
  durationMs: number;
}

/**
 * Searches the collection for the question and grounds the request in what it found. Runs before the
 * upstream is opened, under the stream's signal: a client that leaves, or a timeout, ends the wait at
 * once (a hybrid store's embedding request is cancelled too), and the stream ends as any stream does.
 */
export async function groundChatRequest(plan: RetrievalPlan, chatRequest: ChatRequest, signal: AbortSignal): Promise<Grounding> {
  const startedAt = performance.now();
  const hits = await untilAborted(plan.store.search(plan.collection, plan.question, plan.topK, { signal }), signal);
  return {
    chatRequest: {
      ...chatRequest,
      messages: buildGroundedMessages(chatRequest.messages, hits),
      grounding: { question: plan.question, sources: hits.map(({ title, text }) => ({ title, text })) },
    },
    sources: hits.map(({ id, title, snippet, score, metadata }) => ({ id, title, snippet, score, metadata })),
    durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
  };
}

/** `work`, or the signal's reason as soon as it aborts (a database query cannot be cancelled mid-way). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}
