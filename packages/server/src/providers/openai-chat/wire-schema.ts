/**
 * The parts of OpenAI's `chat.completion.chunk` that Sluice reads
 * (https://platform.openai.com/docs/api-reference/chat-streaming). OpenAI-compatible servers (vLLM,
 * Ollama, llama.cpp) omit some fields, so every field is optional and checked where it is used.
 */

export interface ChatCompletionChunk {
  id?: string;
  model?: string;
  choices?: ChunkChoice[];
  usage?: ChunkUsage | null;
  /** OpenAI-compatible servers report a failure mid-stream as a chunk holding only `error`. */
  error?: { message?: string; type?: string; code?: string | number | null };
}

export interface ChunkChoice {
  index?: number;
  delta?: ChunkDelta;
  finish_reason?: string | null;
}

export interface ChunkDelta {
  role?: string;
  content?: string | null;
  /** vLLM and DeepSeek name the reasoning text `reasoning_content`; Ollama and others `reasoning`. */
  reasoning_content?: string | null;
  reasoning?: string | null;
  refusal?: string | null;
  tool_calls?: ChunkToolCall[];
}

export interface ChunkToolCall {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface ChunkUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

export const doneSentinel = '[DONE]';
