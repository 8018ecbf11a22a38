import { assertNever, type ChatRequest, encodeSseComment, encodeSseEvent, type StreamPart, type Usage } from '@sluice/protocol';
import type { EgressDialect, EgressEncoder, StreamMeta } from '../egress-dialect.ts';

/**
 * OpenAI Chat Completions streaming (https://platform.openai.com/docs/api-reference/chat-streaming):
 * `data: {chat.completion.chunk}` lines, a chunk with `finish_reason`, then, when the client set
 * `stream_options.include_usage`, a chunk with empty `choices` and `usage`, then `data: [DONE]`.
 * A failure after the first byte is a chunk holding only `error`, the form OpenAI-compatible servers
 * use and the official SDK raises as an APIError; no `[DONE]` follows it.
 *
 * Sluice's extension for grounded answers (`retrieval`): the chunk before the first token carries
 * `sluice_sources` (with an empty delta, so a standard client reads nothing from it), and the chunk with
 * `finish_reason` carries `sluice_citations`, the source numbers the answer cited.
 */
export const openaiChatDialect: EgressDialect = {
  name: 'openai-chat',
  contentType: 'text/event-stream; charset=utf-8',
  heartbeat: encodeSseComment('ping'),
  createEncoder(meta: StreamMeta, request: ChatRequest): EgressEncoder {
    const includeUsage = wantsUsage(request);
    const id = `chatcmpl-${meta.streamId}`;
    const prefix = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${meta.created},"model":${JSON.stringify(meta.model)},`;
    const chunk = (choicesAndMore: string): string => encodeSseEvent(undefined, `${prefix}${choicesAndMore}}`);
    const deltaChunk = (delta: unknown): string => chunk(`"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":null}]`);
    // A text delta is nearly every event: its bytes around the text are fixed per stream, so only the
    // text is stringified (measured in BENCHMARKS.md's optimisation log); the same bytes as deltaChunk.
    const textOpening = `data: ${prefix}"choices":[{"index":0,"delta":{"content":`;
    const textClosing = '},"finish_reason":null}]}\n\n';
    let usage: Usage | undefined;
    return {
      start() {
        return deltaChunk({ role: 'assistant', content: '' });
      },
      encode(parts: readonly StreamPart[]) {
        let out = '';
        for (const part of parts) {
          switch (part.type) {
            case 'text-delta':
              out += textOpening + JSON.stringify(part.text) + textClosing;
              break;
            case 'reasoning-delta':
              out += deltaChunk({ reasoning_content: part.text });
              break;
            case 'tool-call-delta': {
              const call: Record<string, unknown> = { index: part.index };
              if (part.id !== undefined) call.id = part.id;
              if (part.id !== undefined || part.name !== undefined) call.type = 'function';
              const fn: Record<string, string> = { arguments: part.argumentsDelta };
              if (part.name !== undefined) fn.name = part.name;
              call.function = fn;
              out += deltaChunk({ tool_calls: [call] });
              break;
            }
            case 'usage':
              usage = part.usage;
              break;
            case 'sources':
              out += chunk(`"choices":[{"index":0,"delta":{},"finish_reason":null}],"sluice_sources":${JSON.stringify(part.sources)}`);
              break;
            case 'finish': {
              const citations = part.citations === undefined ? '' : `,"sluice_citations":${JSON.stringify(part.citations)}`;
              out += chunk(`"choices":[{"index":0,"delta":{},"finish_reason":${JSON.stringify(part.finishReason)}}]${citations}`);
              if (includeUsage && usage) out += chunk(`"choices":[],"usage":${JSON.stringify(toOpenAIUsage(usage))}`);
              out += encodeSseEvent(undefined, '[DONE]');
              break;
            }
            case 'error':
              out += encodeSseEvent(undefined, JSON.stringify({ error: { message: part.message, type: part.code, code: part.code } }));
              break;
            case 'response-metadata':
            // A continued answer reads as one completion: same id, its chunks simply go on.
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

function wantsUsage(request: ChatRequest): boolean {
  const options = request.parameters.stream_options as { include_usage?: unknown } | undefined;
  return options?.include_usage === true;
}

export function toOpenAIUsage(usage: Usage): Record<string, unknown> {
  const body: Record<string, unknown> = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
  if (usage.estimated) body.estimated = true;
  return body;
}
