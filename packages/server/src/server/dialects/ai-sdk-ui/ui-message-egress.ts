import { assertNever, encodeSseComment, encodeSseEvent, type FinishReason, type StreamPart } from '@sluice/protocol';
import type { EgressDialect, EgressEncoder, StreamMeta } from '../egress-dialect.ts';

/** `finish.finishReason` of the UI message stream for each Sluice finish reason. */
const finishReasons: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  content_filter: 'content-filter',
  cancelled: 'other',
  error: 'error',
};

function chunk(data: Record<string, unknown>): string {
  return encodeSseEvent(undefined, JSON.stringify(data));
}

/**
 * The Vercel AI SDK UI message stream (protocol `v1`, announced by the `x-vercel-ai-ui-message-stream`
 * header), what `useChat` reads by default: `data:` lines of JSON chunks, `start` and `start-step`, text
 * and reasoning as `*-start` / `*-delta` / `*-end` blocks, tool calls as `tool-input-start` and
 * `tool-input-delta` then, at the end of the step, `tool-input-available` with the parsed input (or
 * `tool-input-error` when the model's arguments are not JSON), `finish-step`, `finish` with its reason,
 * and `data: [DONE]`. A failure after the first byte is an `error` chunk (`useChat` shows it as its
 * error), a cancel an `abort` chunk; `[DONE]` closes the stream either way, as the SDK's own server does.
 */
export const uiMessageStreamDialect: EgressDialect = {
  name: 'ai-sdk-ui-message-stream',
  contentType: 'text/event-stream; charset=utf-8',
  heartbeat: encodeSseComment('ping'),
  headers: { 'x-vercel-ai-ui-message-stream': 'v1' },
  createEncoder(meta: StreamMeta): EgressEncoder {
    let open: { kind: 'text' | 'reasoning'; id: string } | undefined;
    let blocks = 0;
    const tools = new Map<number, { toolCallId: string; toolName: string; input: string }>();

    const close = (): string => {
      if (!open) return '';
      const out = chunk({ type: `${open.kind}-end`, id: open.id });
      open = undefined;
      return out;
    };
    const delta = (kind: 'text' | 'reasoning', text: string): string => {
      let out = '';
      if (open?.kind !== kind) {
        out += close();
        open = { kind, id: `${kind}-${blocks++}` };
        out += chunk({ type: `${kind}-start`, id: open.id });
      }
      return out + chunk({ type: `${kind}-delta`, id: open.id, delta: text });
    };
    const toolInputs = (): string => {
      let out = '';
      for (const { toolCallId, toolName, input } of tools.values()) {
        try {
          out += chunk({ type: 'tool-input-available', toolCallId, toolName, input: JSON.parse(input === '' ? '{}' : input) });
        } catch {
          out += chunk({ type: 'tool-input-error', toolCallId, toolName, input, errorText: 'The model sent tool arguments that are not valid JSON' });
        }
      }
      tools.clear();
      return out;
    };

    return {
      start() {
        return chunk({ type: 'start', messageId: `msg_${meta.streamId}` }) + chunk({ type: 'start-step' });
      },
      encode(parts: readonly StreamPart[]) {
        let out = '';
        for (const part of parts) {
          switch (part.type) {
            case 'text-delta':
              out += delta('text', part.text);
              break;
            case 'reasoning-delta':
              out += delta('reasoning', part.text);
              break;
            case 'tool-call-delta': {
              let tool = tools.get(part.index);
              if (!tool) {
                out += close();
                tool = { toolCallId: part.id ?? `call_${meta.streamId}_${part.index}`, toolName: part.name ?? '', input: '' };
                tools.set(part.index, tool);
                out += chunk({ type: 'tool-input-start', toolCallId: tool.toolCallId, toolName: tool.toolName });
              }
              if (part.argumentsDelta === '') break;
              tool.input += part.argumentsDelta;
              out += chunk({ type: 'tool-input-delta', toolCallId: tool.toolCallId, inputTextDelta: part.argumentsDelta });
              break;
            }
            case 'finish':
              out += close() + toolInputs() + chunk({ type: 'finish-step' }) + chunk({ type: 'finish', finishReason: finishReasons[part.finishReason] });
              out += encodeSseEvent(undefined, '[DONE]');
              break;
            case 'error':
              out += close();
              out += part.code === 'cancelled' ? chunk({ type: 'abort', reason: part.message }) : chunk({ type: 'error', errorText: part.message });
              out += encodeSseEvent(undefined, '[DONE]');
              break;
            case 'usage':
            case 'response-metadata':
            case 'sources':
            case 'continued':
              // Usage and sources would go in message metadata, whose shape belongs to the app: left out.
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
