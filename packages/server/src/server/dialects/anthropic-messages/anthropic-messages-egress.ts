import { assertNever, encodeSseEvent, type StreamPart, type Usage } from '@sluice/protocol';
import type { EgressDialect, EgressEncoder, StreamMeta } from '../egress-dialect.ts';
import { anthropicErrorBody } from './anthropic-error.ts';
import { toStopReason } from './stop-reason.ts';

type BlockKind = 'text' | 'thinking' | 'tool_use';

function sse(type: string, data: Record<string, unknown>): string {
  return encodeSseEvent(type, JSON.stringify({ type, ...data }));
}

/**
 * Anthropic Messages streaming (https://docs.anthropic.com/en/docs/build-with-claude/streaming), the
 * event sequence Anthropic's SDKs accumulate: `message_start`; per content block `content_block_start`,
 * its `content_block_delta`s (`text_delta`, `thinking_delta`, `input_json_delta`) and
 * `content_block_stop`; then `message_delta` with `stop_reason` and usage, and `message_stop`. Blocks
 * follow the parts: text, then a tool call, then text again are three blocks. Heartbeats are Anthropic's
 * own `ping` event. A failure after the first byte is an `error` event, which the SDKs raise.
 */
export const anthropicMessagesDialect: EgressDialect = {
  name: 'anthropic-messages',
  contentType: 'text/event-stream; charset=utf-8',
  heartbeat: sse('ping', {}),
  createEncoder(meta: StreamMeta): EgressEncoder {
    // Blocks are numbered in order; the open one, when there is one, is always the last.
    let blockCount = 0;
    let open: BlockKind | undefined;
    const toolBlocks = new Map<number, number>();
    let usage: Usage | undefined;

    const close = (): string => {
      if (open === undefined) return '';
      open = undefined;
      return sse('content_block_stop', { index: blockCount - 1 });
    };
    const openBlock = (kind: BlockKind, contentBlock: Record<string, unknown>): string => {
      const out = close() + sse('content_block_start', { index: blockCount, content_block: contentBlock });
      open = kind;
      blockCount += 1;
      return out;
    };
    const delta = (index: number, value: Record<string, unknown>): string => sse('content_block_delta', { index, delta: value });

    return {
      start() {
        return sse('message_start', {
          message: {
            id: `msg_${meta.streamId}`,
            type: 'message',
            role: 'assistant',
            model: meta.model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        });
      },
      encode(parts: readonly StreamPart[]) {
        let out = '';
        for (const part of parts) {
          switch (part.type) {
            case 'text-delta':
              if (open !== 'text') out += openBlock('text', { type: 'text', text: '' });
              out += delta(blockCount - 1, { type: 'text_delta', text: part.text });
              break;
            case 'reasoning-delta':
              if (open !== 'thinking') out += openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
              out += delta(blockCount - 1, { type: 'thinking_delta', thinking: part.text });
              break;
            case 'tool-call-delta': {
              let index = toolBlocks.get(part.index);
              if (index === undefined) {
                out += openBlock('tool_use', { type: 'tool_use', id: part.id ?? `toolu_${meta.streamId}_${part.index}`, name: part.name ?? '', input: {} });
                index = blockCount - 1;
                toolBlocks.set(part.index, index);
              }
              // A late fragment of an earlier call still names its own block, where the SDKs accumulate it.
              if (part.argumentsDelta !== '') out += delta(index, { type: 'input_json_delta', partial_json: part.argumentsDelta });
              break;
            }
            case 'usage':
              usage = part.usage;
              break;
            case 'finish':
              out += close();
              out += sse('message_delta', {
                delta: { stop_reason: toStopReason(part.finishReason), stop_sequence: null },
                usage: usage ? { input_tokens: usage.promptTokens, output_tokens: usage.completionTokens } : { output_tokens: 0 },
              });
              out += sse('message_stop', {});
              break;
            case 'error':
              out += encodeSseEvent('error', JSON.stringify(anthropicErrorBody(part)));
              break;
            case 'response-metadata':
            case 'sources':
            // A continued answer reads as one message: its blocks and their indices simply go on.
            case 'continued':
              break;
            default:
              assertNever(part);
          }
        }
        return out;
      },
    };
  },
};
