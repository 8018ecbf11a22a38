import type { ChatRequest } from '@sluice/protocol';
import type { ProviderContinuation } from '../../providers/provider.ts';

/**
 * What follows the partial answer for an upstream with no prefill (OpenAI Chat and Responses): the model
 * is asked, in words, to go on without repeating; how well it obeys is the model's, so the seam is best
 * effort there (see `createContinuationSeam`).
 */
export const continuationInstruction =
  'Your previous answer, the assistant message above, was cut off. Continue it from exactly where it stops: do not repeat any of it, do not comment on the interruption, do not start over.';

export interface ContinuationRequest {
  request: ChatRequest;
  /**
   * Text the client already has that the model is expected to write again first: the trailing whitespace a
   * prefill could not end with (Anthropic rejects it), which the model then writes itself.
   */
  repeated: string;
}

/**
 * The request that asks an upstream to go on with `partialText`, the answer's text so far, in that
 * upstream's own way: as the final `assistant` turn (`prefill`), the same with vLLM's
 * `continue_final_message: true` and `add_generation_prompt: false` (`continue-final-message`), or as an
 * assistant turn and a user instruction (`instruction`). With no text yet (the failure came during
 * reasoning or a tool call) it is the original request again.
 */
export function createContinuationRequest(request: ChatRequest, partialText: string, continuation: ProviderContinuation): ContinuationRequest {
  switch (continuation.method) {
    case 'prefill':
    case 'continue-final-message': {
      const prefill = continuation.trimsTrailingWhitespace ? partialText.trimEnd() : partialText;
      if (prefill === '') return { request, repeated: partialText };
      const parameters =
        continuation.method === 'continue-final-message' ? { ...request.parameters, continue_final_message: true, add_generation_prompt: false } : request.parameters;
      return {
        request: { ...request, parameters, messages: [...request.messages, { role: 'assistant', content: prefill }] },
        repeated: partialText.slice(prefill.length),
      };
    }
    case 'instruction':
      if (partialText === '') return { request, repeated: '' };
      return {
        request: {
          ...request,
          messages: [...request.messages, { role: 'assistant', content: partialText }, { role: 'user', content: continuationInstruction }],
        },
        repeated: '',
      };
    default:
      return continuation.method satisfies never;
  }
}
