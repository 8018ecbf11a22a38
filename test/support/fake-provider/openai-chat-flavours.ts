/**
 * How OpenAI-compatible servers differ from OpenAI on `/v1/chat/completions` streaming. Each quirk
 * names where it was read; anything not documented there is left as OpenAI does it.
 */

import type { Flavour } from './scenario.ts';

export interface FlavourProfile {
  id(serial: number): string;
  systemFingerprint?: string;
  /** The delta field that carries reasoning; OpenAI does not stream reasoning on Chat Completions. */
  reasoningField?: 'reasoning_content' | 'reasoning';
  /** A first chunk with only the role, before any content. */
  roleChunk: boolean;
  roleDelta: Record<string, unknown>;
  /** Every delta repeats `role: "assistant"`. */
  roleOnEveryDelta: boolean;
  /** The last content delta carries `finish_reason` itself; no separate finish chunk. */
  finishWithLastContent: boolean;
  finishDelta: Record<string, unknown>;
  /** A tool call arrives complete in one delta instead of argument fragments. */
  wholeToolCalls: boolean;
  logprobsField: boolean;
  /** With include_usage, every chunk before the usage chunk says `"usage": null`. */
  usageNullOnEveryChunk: boolean;
  extraFields?(completionTokens: number): Record<string, unknown>;
}

const openai: FlavourProfile = {
  // platform.openai.com/docs/api-reference/chat-streaming: id, object, created, model, system_fingerprint;
  // ChatCompletionStreamOptions.include_usage: "All other chunks will also include a usage field, but with a null value."
  id: (serial) => `chatcmpl-fake${serial.toString().padStart(6, '0')}`,
  systemFingerprint: 'fp_fake0001',
  roleChunk: true,
  roleDelta: { role: 'assistant', content: '', refusal: null },
  roleOnEveryDelta: false,
  finishWithLastContent: false,
  finishDelta: {},
  wholeToolCalls: false,
  logprobsField: true,
  usageNullOnEveryChunk: true,
};

const vllm: FlavourProfile = {
  ...openai,
  // vllm entrypoints/openai/protocol.py ChatCompletionStreamResponse: id `chatcmpl-<uuid hex>`, no
  // system_fingerprint field; `usage` unset (absent) on ordinary chunks.
  id: (serial) => `chatcmpl-${serial.toString(16).padStart(32, '0')}`,
  systemFingerprint: undefined,
  // docs.vllm.ai "Reasoning Outputs": reasoning parsers stream `reasoning_content` deltas.
  reasoningField: 'reasoning_content',
  roleDelta: { role: 'assistant', content: '' },
  // vllm serving_chat.py: the final engine output's delta and its finish_reason go out in one choice.
  finishWithLastContent: true,
  usageNullOnEveryChunk: false,
};

const ollama: FlavourProfile = {
  // ollama openai/openai.go toChunk: `system_fingerprint: "fp_ollama"`, every delta is a Message with
  // role "assistant", reasoning in `reasoning`, tool calls converted whole (ToToolCalls), no logprobs
  // unless asked; the done response becomes the chunk with finish_reason and empty content.
  id: (serial) => `chatcmpl-${serial % 1000}`,
  systemFingerprint: 'fp_ollama',
  reasoningField: 'reasoning',
  roleChunk: false,
  roleDelta: {},
  roleOnEveryDelta: true,
  finishWithLastContent: false,
  finishDelta: { content: '' },
  wholeToolCalls: true,
  logprobsField: false,
  usageNullOnEveryChunk: false,
};

const llamacpp: FlavourProfile = {
  ...openai,
  // llama.cpp server chunks (seen in openai-php/client#780): system_fingerprint `b<build>-<commit>`,
  // `reasoning_content` deltas, no `logprobs` key, a top-level `timings` object on every chunk; usage comes in its own chunk
  // after the finish_reason chunk (strands-agents/harness-sdk#3955).
  id: (serial) => `chatcmpl-fake${serial.toString().padStart(26, '0')}`,
  systemFingerprint: 'b6000-0f1e2d3c',
  reasoningField: 'reasoning_content',
  roleDelta: { role: 'assistant', content: null },
  logprobsField: false,
  usageNullOnEveryChunk: false,
  extraFields: (completionTokens) => ({
    timings: {
      prompt_n: 10,
      prompt_ms: 25,
      prompt_per_token_ms: 2.5,
      prompt_per_second: 400,
      predicted_n: completionTokens,
      predicted_ms: completionTokens * 10,
      predicted_per_token_ms: 10,
      predicted_per_second: 100,
    },
  }),
};

const profiles: Record<Flavour, FlavourProfile> = { openai, vllm, ollama, llamacpp };

export function flavourProfile(flavour: Flavour = 'openai'): FlavourProfile {
  return profiles[flavour];
}
