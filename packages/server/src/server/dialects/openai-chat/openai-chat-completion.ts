import { assertNever, type FinishReason, type Source, type StreamPart, type Usage } from '@sluice/protocol';
import type { StreamMeta } from '../egress-dialect.ts';
import { toOpenAIUsage } from './openai-chat-egress.ts';

interface ToolCallAccumulator {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Folds a whole stream into one `chat.completion` object for `stream: false` clients. Sluice streams
 * from the upstream either way, so cancel and content timeouts behave the same for both. A grounded
 * answer also carries `sluice_sources` and `sluice_citations`, as the streamed chunks do.
 */
export function createChatCompletionCollector(meta: StreamMeta) {
  let content = '';
  let reasoning = '';
  let usage: Usage | undefined;
  let finishReason: FinishReason = 'stop';
  let sources: Source[] | undefined;
  let citations: number[] | undefined;
  const toolCalls: ToolCallAccumulator[] = [];
  return {
    add(part: StreamPart): void {
      switch (part.type) {
        case 'text-delta':
          content += part.text;
          break;
        case 'reasoning-delta':
          reasoning += part.text;
          break;
        case 'tool-call-delta': {
          const call = (toolCalls[part.index] ??= { id: '', name: '', arguments: '' });
          if (part.id) call.id = part.id;
          if (part.name) call.name += part.name;
          call.arguments += part.argumentsDelta;
          break;
        }
        case 'usage':
          usage = part.usage;
          break;
        case 'finish':
          finishReason = part.finishReason;
          citations = part.citations;
          break;
        case 'sources':
          sources = part.sources;
          break;
        case 'error':
        case 'response-metadata':
        case 'continued':
          break;
        default:
          assertNever(part);
      }
    },
    toResponse(): Record<string, unknown> {
      const message: Record<string, unknown> = { role: 'assistant', content: toolCalls.length > 0 && content === '' ? null : content };
      if (reasoning) message.reasoning_content = reasoning;
      const calls = toolCalls.filter(Boolean);
      if (calls.length > 0) {
        message.tool_calls = calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
      }
      const response: Record<string, unknown> = {
        id: `chatcmpl-${meta.streamId}`,
        object: 'chat.completion',
        created: meta.created,
        model: meta.model,
        choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      };
      if (usage) response.usage = toOpenAIUsage(usage);
      if (sources) response.sluice_sources = sources;
      if (citations) response.sluice_citations = citations;
      return response;
    },
  };
}
