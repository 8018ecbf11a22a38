/**
 * The one normalized request every ingress dialect decodes into. Messages use the OpenAI Chat
 * Completions shape, the lingua franca of providers; fields Sluice does not interpret travel in
 * `parameters` untouched, so the client's request reaches the upstream unchanged.
 */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  /** A string, an array of content parts, or null (an assistant turn that only calls tools). */
  content: unknown;
  [field: string]: unknown;
}

export interface ChatRequest {
  /** The model name as the client asked for it, before routing. */
  model: string;
  messages: ChatMessage[];
  /** Sampling and tool parameters (`temperature`, `max_tokens`, `tools`, `response_format`, ...), passed through. */
  parameters: Record<string, unknown>;
  /**
   * Fields one vendor has and the OpenAI shape lacks (Anthropic's `thinking` and `top_k`), read only by
   * that vendor's provider, so that they survive a trip through Sluice to the same vendor and never reach
   * another one as unknown parameters.
   */
  providerOptions?: { anthropic?: Record<string, unknown> };
  /**
   * Set by Sluice's retrieval, never by a client: what the last user message was grounded in. The
   * messages already hold it as prompt text for a real model; the demo model, which cannot read a
   * prompt, answers from this instead.
   */
  grounding?: ChatGrounding;
}

export interface ChatGrounding {
  /** The question as the user asked it, before the sources were put in front of it. */
  question: string;
  /** The sources as the prompt numbers them: `[1]` is the first. */
  sources: readonly { title: string; text: string }[];
}
