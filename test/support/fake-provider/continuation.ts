/**
 * The fake's `continue` mode: a request asking to go on with a cut answer is checked the way the real
 * upstream would take it, and answered with the rest of the scenario's answer after the partial text.
 * What each upstream expects:
 * - Anthropic Messages: the partial text as the final `assistant` turn (prefill); a final assistant turn
 *   that ends in whitespace is a 400, as Anthropic answers it.
 * - vLLM: a final assistant turn with `continue_final_message: true` and `add_generation_prompt: false`.
 * - llama.cpp's server and Ollama: a final assistant turn (both continue it; llama.cpp by default, unless
 *   started with `--no-prefill-assistant`).
 * - OpenAI Chat and Responses: no prefill; an assistant turn with the partial text, then a user turn
 *   asking to go on.
 * A partial text that is not the start of the scenario's answer is a 400 naming both, so a test sees a
 * seam that lost or doubled text.
 */

import { defaultText, type Scenario } from './scenario.ts';

export type ContinuationCheck = { scenario: Scenario } | { status: 400; message: string };

export function continueScenario(path: string, body: any, scenario: Scenario): ContinuationCheck {
  const answer = scenario.tokens?.join('') ?? scenario.text ?? defaultText;
  const partial = partialTextOf(path, body, scenario);
  if (typeof partial !== 'string') return partial;
  if (!answer.startsWith(partial)) {
    return { status: 400, message: `continuation mismatch: the partial text ${JSON.stringify(partial)} is not the start of ${JSON.stringify(answer)}` };
  }
  const { tokens: _tokens, ...rest } = scenario;
  return { scenario: { ...rest, text: answer.slice(partial.length), reasoning: partial === '' ? scenario.reasoning : undefined } };
}

function partialTextOf(path: string, body: any, scenario: Scenario): string | { status: 400; message: string } {
  const items: any[] = path === '/v1/responses' ? (Array.isArray(body?.input) ? body.input : []) : Array.isArray(body?.messages) ? body.messages : [];
  const last = items.at(-1);
  const beforeLast = items.at(-2);
  switch (path) {
    case '/v1/messages': {
      if (last?.role !== 'assistant') return '';
      const text = textOf(last.content);
      if (/\s$/.test(text)) return { status: 400, message: 'messages: final assistant content cannot end with trailing whitespace' };
      return text;
    }
    case '/v1/responses':
      return beforeLast?.role === 'assistant' && last?.role === 'user' ? textOf(beforeLast.content) : '';
    case '/v1/chat/completions':
      switch (scenario.flavour ?? 'openai') {
        case 'openai':
          return beforeLast?.role === 'assistant' && last?.role === 'user' ? textOf(beforeLast.content) : '';
        case 'vllm':
          if (last?.role !== 'assistant') return '';
          if (body.continue_final_message !== true || body.add_generation_prompt !== false) {
            return { status: 400, message: 'a final assistant message is continued only with continue_final_message: true and add_generation_prompt: false' };
          }
          return textOf(last.content);
        case 'llamacpp':
        case 'ollama':
          return last?.role === 'assistant' ? textOf(last.content) : '';
      }
  }
  return '';
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
}
