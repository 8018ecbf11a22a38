/**
 * What the fake provider answers and how: content, timing, faults. Every field is optional; an empty
 * scenario is a short, fast, successful answer.
 */

export type ByteSplit = 'none' | 'every-byte' | number;

export type FaultKind = 'cut' | 'garbage' | 'error-event' | 'hang' | 'endless-line';

export type Flavour = 'openai' | 'vllm' | 'ollama' | 'llamacpp';

export interface ToolCallScript {
  id: string;
  name: string;
  /** The JSON arguments text, streamed in fragments. */
  arguments: string;
}

export interface UsageScript {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface Scenario {
  /** The answer; split into words with their trailing whitespace. @default 'Hello from the fake provider.' */
  text?: string;
  /** Explicit deltas; overrides `text`. */
  tokens?: string[];
  /** Model "thinking" streamed before the answer (Anthropic thinking block, `reasoning_content` of vLLM/llama.cpp, `reasoning` of Ollama). */
  reasoning?: string;
  /** Tokens carried by one upstream event, as vLLM's --stream-interval, Ollama and llama.cpp do. @default 1 */
  tokensPerEvent?: number;
  /** @default 0 */
  headersDelayMs?: number;
  /** From the headers to the first token. @default 0 */
  firstTokenDelayMs?: number;
  /** Between token events; 0 still yields to the event loop and waits for `drain`. @default 0 */
  tokenIntervalMs?: number;
  /** Stream the tokens over and over until the client goes away. */
  infinite?: boolean;
  /** How each event's bytes are cut into separate writes. @default 'none' */
  byteSplit?: ByteSplit;
  /**
   * Token counts to report, or false to never report usage. Anthropic ignores false: its schema requires
   * usage on `message_start` and `message_delta`.
   * @default prompt_tokens ≈ request characters / 4, completion_tokens = tokens streamed
   */
  usage?: UsageScript | false;
  /** In OpenAI terms (`stop`, `length`, `tool_calls`, ...), mapped to each API's own vocabulary. @default 'stop', or 'tool_calls' with toolCalls */
  finishReason?: string;
  toolCalls?: ToolCallScript[];
  /** Fail before the first byte with this HTTP status and the provider's own error JSON. */
  status?: number;
  /** Replaces the provider-shaped error body sent with `status`. */
  errorBody?: unknown;
  /** Added to every response, success or failure (e.g. `{ 'retry-after': '7' }`). */
  responseHeaders?: Record<string, string>;
  /**
   * Break the stream once `afterTokens` tokens were written (checked before each token and before the
   * terminator). `garbage` and `error-event` end the response after their one event. On a non-streaming
   * request `afterTokens` is ignored: `cut`, `hang` and `garbage` replace the JSON, `error-event` is a 500.
   */
  fault?: {
    afterTokens: number;
    kind: FaultKind;
    /** For `garbage`: the event's data instead of the provider's own broken JSON (secrets, huge payloads). */
    data?: string;
    /** For `endless-line`: bytes of one `data:` line that never ends, written in 64 KiB pieces. @default 8 MiB */
    bytes?: number;
  };
  /** Answer a streaming request with the whole JSON completion, as a server that ignores `stream: true` does. */
  completeWhenStreaming?: boolean;
  /** The stream response's `content-type` instead of `text/event-stream` (the body is unchanged). */
  streamContentType?: string;
  /** Answer with exactly these bytes instead of generated events (generated upstream streams, fuzzing). */
  raw?: {
    /** @default 200 */
    status?: number;
    /** None at all when absent. */
    contentType?: string;
    chunks: string[];
    /** After the last chunk: end the body, cut the connection mid-body, or hold it open. */
    ending: 'end' | 'cut' | 'hang';
  };
  /** OpenAI-compatible server quirks for /v1/chat/completions. @default 'openai' */
  flavour?: Flavour;
  /** `test/fixtures/<transcript>.chunks.txt`, replayed verbatim instead of generated events. */
  transcript?: string;
  /**
   * The request continues a cut answer (see continuation.ts): it must carry the exact partial text, in the
   * upstream's own way, and gets the rest of `text` (or `tokens`) after it; a mismatch is a 400.
   */
  continue?: boolean;
}

export const defaultText = 'Hello from the fake provider.';

/** Words with their trailing whitespace (leading whitespace stays a piece of its own), so joining gives the text back. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s+|\S+\s*/gu) ?? [];
}

/** Cuts JSON arguments text into fragments of a few code points, the way models stream them. */
export function splitIntoFragments(text: string, codePointsPerFragment = 8): string[] {
  const codePoints = Array.from(text);
  const fragments: string[] = [];
  for (let start = 0; start < codePoints.length; start += codePointsPerFragment) {
    fragments.push(codePoints.slice(start, start + codePointsPerFragment).join(''));
  }
  return fragments;
}

export function answerTokens(scenario: Scenario): string[] {
  return scenario.tokens ?? splitIntoTokens(scenario.text ?? defaultText);
}

/** Yields the answer tokens once, or forever when `infinite`. */
export function* answerTokenStream(scenario: Scenario): Generator<string> {
  const tokens = answerTokens(scenario);
  do {
    yield* tokens;
  } while (scenario.infinite && tokens.length > 0);
}

/** Groups `tokensPerEvent` tokens into one delta. */
export function* groupTokens(tokens: Iterable<string>, tokensPerEvent: number): Generator<{ text: string; count: number }> {
  let text = '';
  let count = 0;
  for (const token of tokens) {
    text += token;
    count += 1;
    if (count >= tokensPerEvent) {
      yield { text, count };
      text = '';
      count = 0;
    }
  }
  if (count > 0) yield { text, count };
}

/** Tokens a finite answer streams: reasoning and answer pieces plus tool-argument fragments. */
export function countCompletionTokens(scenario: Scenario): number {
  const reasoningTokens = scenario.reasoning === undefined ? 0 : splitIntoTokens(scenario.reasoning).length;
  const toolTokens = (scenario.toolCalls ?? []).reduce((sum, call) => sum + splitIntoFragments(call.arguments).length, 0);
  return reasoningTokens + answerTokens(scenario).length + toolTokens;
}

export function finishReasonOf(scenario: Scenario): string {
  return scenario.finishReason ?? (scenario.toolCalls?.length ? 'tool_calls' : 'stop');
}

/** The classic four-characters-per-token estimate over what the request asked. */
export function estimatePromptTokens(body: unknown): number {
  const request = body as { messages?: unknown; input?: unknown; system?: unknown } | undefined;
  const text = JSON.stringify([request?.system, request?.messages, request?.input]);
  return Math.max(1, Math.ceil(text.length / 4));
}
