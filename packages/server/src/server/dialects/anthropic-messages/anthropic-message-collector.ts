import { assertNever, type FinishReason, type StreamPart, type Usage } from '@sluice/protocol';
import type { ResponseCollector, StreamMeta } from '../egress-dialect.ts';
import { toStopReason } from './stop-reason.ts';

type ContentBlock = { type: 'text'; text: string } | { type: 'thinking'; thinking: string; signature: string } | { type: 'tool_use'; id: string; name: string; json: string };

/** Folds a stream into one Anthropic `Message` (https://docs.anthropic.com/en/api/messages), for `stream: false`. */
export function createAnthropicMessageCollector(meta: StreamMeta): ResponseCollector {
  const content: ContentBlock[] = [];
  const toolBlocks = new Map<number, Extract<ContentBlock, { type: 'tool_use' }>>();
  let usage: Usage | undefined;
  let finishReason: FinishReason = 'stop';
  return {
    add(part: StreamPart) {
      const last = content[content.length - 1];
      switch (part.type) {
        case 'text-delta':
          if (last?.type === 'text') last.text += part.text;
          else content.push({ type: 'text', text: part.text });
          break;
        case 'reasoning-delta':
          if (last?.type === 'thinking') last.thinking += part.text;
          else content.push({ type: 'thinking', thinking: part.text, signature: '' });
          break;
        case 'tool-call-delta': {
          let block = toolBlocks.get(part.index);
          if (!block) {
            block = { type: 'tool_use', id: part.id ?? `toolu_${meta.streamId}_${part.index}`, name: part.name ?? '', json: '' };
            toolBlocks.set(part.index, block);
            content.push(block);
          }
          block.json += part.argumentsDelta;
          break;
        }
        case 'usage':
          usage = part.usage;
          break;
        case 'finish':
          finishReason = part.finishReason;
          break;
        case 'error':
        case 'response-metadata':
        case 'sources':
        case 'continued':
          break;
        default:
          assertNever(part);
      }
    },
    toResponse() {
      return {
        id: `msg_${meta.streamId}`,
        type: 'message',
        role: 'assistant',
        model: meta.model,
        content: content.map((block) => (block.type === 'tool_use' ? { type: 'tool_use', id: block.id, name: block.name, input: parseInput(block.json) } : block)),
        stop_reason: toStopReason(finishReason),
        stop_sequence: null,
        usage: { input_tokens: usage?.promptTokens ?? 0, output_tokens: usage?.completionTokens ?? 0 },
      };
    },
  };
}

/** A tool call's arguments as its `input`; arguments that are not JSON become `{}`, since `input` is always an object. */
function parseInput(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}
