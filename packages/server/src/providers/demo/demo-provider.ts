import { setTimeout as sleep } from 'node:timers/promises';
import type { FinishReason, StreamPart } from '@sluice/protocol';
import type { Provider } from '../provider.ts';
import { abortReason } from '../upstream-http.ts';
import { composeDemoReply, type DemoReply } from './compose-demo-reply.ts';
import { readDemoParameters } from './read-demo-parameters.ts';
import { splitIntoTokens } from './split-into-tokens.ts';

export const demoModelName = 'sluice-demo';

export interface DemoProviderOptions {
  tokensPerSecond: number;
  firstTokenDelayMs: number;
}

/**
 * The built-in demo model: a deterministic reply (`composeDemoReply`: text, JSON, a tool call, an answer
 * from tool results or from sources) streamed at a realistic pace, one of its tokens (`splitIntoTokens`)
 * at a time. It stops after `max_tokens` of them, with finish reason `length`, and reports as usage the
 * tokens it streamed. A malformed parameter is refused before the stream begins, as an upstream would.
 */
export function createDemoProvider(options: DemoProviderOptions): Provider {
  return {
    name: 'demo',
    demo: true,
    // The demo answers the last user message afresh; it never fails mid-stream, so nothing continues it.
    continuation: { method: 'instruction', trimsTrailingWhitespace: false },
    async stream(request, streamOptions) {
      const parameters = readDemoParameters(request.parameters);
      const reply = composeDemoReply(request, parameters);
      const promptTokens = Math.ceil(JSON.stringify(request.messages).length / 4);
      return streamDemoReply(reply, parameters.maxTokens, promptTokens, options, streamOptions.signal);
    },
  };
}

async function* streamDemoReply(
  reply: DemoReply,
  maxTokens: number | undefined,
  promptTokens: number,
  options: DemoProviderOptions,
  signal: AbortSignal,
): AsyncGenerator<StreamPart[]> {
  const allTokens = splitIntoTokens(reply.kind === 'text' ? reply.text : reply.arguments);
  const tokens = maxTokens === undefined ? allTokens : allTokens.slice(0, maxTokens);
  const intervalMs = 1000 / options.tokensPerSecond;
  yield [{ type: 'response-metadata', model: demoModelName }];
  try {
    await sleep(options.firstTokenDelayMs, undefined, { signal });
    for (const [index, token] of tokens.entries()) {
      if (index > 0) await sleep(intervalMs, undefined, { signal });
      yield [partOf(reply, token, index)];
    }
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    throw error;
  }
  const finishReason: FinishReason = tokens.length < allTokens.length ? 'length' : reply.kind === 'tool-call' ? 'tool_calls' : 'stop';
  yield [
    { type: 'usage', usage: { promptTokens, completionTokens: tokens.length, totalTokens: promptTokens + tokens.length, estimated: false } },
    { type: 'finish', finishReason },
  ];
}

/** A token as a part: text, or a fragment of the call's arguments, the first carrying the call's id and name. */
function partOf(reply: DemoReply, token: string, index: number): StreamPart {
  if (reply.kind === 'text') return { type: 'text-delta', text: token };
  return index === 0 ? { type: 'tool-call-delta', index: 0, id: reply.id, name: reply.name, argumentsDelta: token } : { type: 'tool-call-delta', index: 0, argumentsDelta: token };
}
