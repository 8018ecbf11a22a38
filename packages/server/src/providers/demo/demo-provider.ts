import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatMessage, StreamPart } from '@sluice/protocol';
import type { Provider } from '../provider.ts';
import { abortReason } from '../upstream-http.ts';
import { composeDemoAnswer } from './demo-text.ts';
import { splitIntoTokens } from './split-into-tokens.ts';

export const demoModelName = 'sluice-demo';

export interface DemoProviderOptions {
  tokensPerSecond: number;
  firstTokenDelayMs: number;
}

/** The built-in demo model: a canned, deterministic answer streamed at a realistic pace. */
export function createDemoProvider(options: DemoProviderOptions): Provider {
  return {
    name: 'demo',
    demo: true,
    async stream(request, streamOptions) {
      const prompt = lastUserText(request.messages);
      return streamDemoAnswer(prompt, options, streamOptions.signal, JSON.stringify(request.messages).length);
    },
  };
}

async function* streamDemoAnswer(prompt: string, options: DemoProviderOptions, signal: AbortSignal, promptCharacters: number): AsyncGenerator<StreamPart[]> {
  const tokens = splitIntoTokens(composeDemoAnswer(prompt));
  const intervalMs = 1000 / options.tokensPerSecond;
  yield [{ type: 'response-metadata', model: demoModelName }];
  try {
    await sleep(options.firstTokenDelayMs, undefined, { signal });
    for (const [index, token] of tokens.entries()) {
      if (index > 0) await sleep(intervalMs, undefined, { signal });
      yield [{ type: 'text-delta', text: token }];
    }
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    throw error;
  }
  const promptTokens = Math.ceil(promptCharacters / 4);
  yield [
    { type: 'usage', usage: { promptTokens, completionTokens: tokens.length, totalTokens: promptTokens + tokens.length, estimated: false } },
    { type: 'finish', finishReason: 'stop' },
  ];
}

function lastUserText(messages: ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      return message.content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join(' ');
    }
  }
  return '';
}
