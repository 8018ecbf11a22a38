import { assertNever, encodeSseComment, encodeSseEvent, type FinishReason, type StreamPart, type Usage } from '@sluice/protocol';
import type { EgressDialect, EgressEncoder, ResponseCollector, StreamMeta } from '../egress-dialect.ts';

type Item = Record<string, unknown>;

interface OpenItem {
  kind: 'message' | 'reasoning' | 'function_call';
  outputIndex: number;
  id: string;
  text: string;
}

/**
 * The OpenAI Responses event stream (https://platform.openai.com/docs/api-reference/responses-streaming)
 * for a Sluice stream, and the final response object it leads to. Every event is named after its `type`
 * and numbered by `sequence_number`. Output items follow the parts: text is a `message` item, reasoning a
 * `reasoning` item with `reasoning_text` content, each tool call a `function_call` item; an item is
 * opened by `response.output_item.added` and closed by its `.done` events when the next one starts or the
 * answer ends. The stream ends with `response.completed`, `response.incomplete` (length, content filter),
 * or, after a failure, `error` then `response.failed`.
 */
export interface ResponsesWriterOptions {
  /** A background response (`background: true`), as its response objects say. */
  background?: boolean;
  /** Events numbered up to this one are not written: a reader resuming with `starting_after`. @default -1 */
  startingAfter?: number;
}

export function createResponsesWriter(meta: StreamMeta, options: ResponsesWriterOptions = {}) {
  const startingAfter = options.startingAfter ?? -1;
  let sequence = 0;
  const output: Item[] = [];
  const functionCalls = new Map<number, { item: Item; outputIndex: number }>();
  let open: OpenItem | undefined;
  let usage: Usage | undefined;
  let final: Item | undefined;
  /** How a stream that did not finish ended. */
  let ended: { status: string; extra?: Item } | undefined;
  // The bytes of the batch being encoded.
  let out = '';

  const event = (type: string, data: Item): void => {
    const number = sequence++;
    if (number > startingAfter) out += encodeSseEvent(type, JSON.stringify({ type, sequence_number: number, ...data }));
  };
  const response = (status: string, extra: Item = {}): Item => ({
    id: `resp_${meta.streamId}`,
    object: 'response',
    created_at: meta.created,
    status,
    background: options.background === true,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: meta.model,
    output: status === 'in_progress' ? [] : output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    truncation: 'disabled',
    usage: status === 'in_progress' || !usage ? null : toResponsesUsage(usage),
    metadata: {},
    ...extra,
  });

  const take = (): string => {
    const bytes = out;
    out = '';
    return bytes;
  };

  const close = (): void => {
    const item = open;
    if (!item) return;
    open = undefined;
    const at = { item_id: item.id, output_index: item.outputIndex };
    switch (item.kind) {
      case 'message': {
        const part = { type: 'output_text', annotations: [], logprobs: [], text: item.text };
        const done: Item = { id: item.id, type: 'message', status: 'completed', role: 'assistant', content: [part] };
        output[item.outputIndex] = done;
        event('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] });
        event('response.content_part.done', { ...at, content_index: 0, part });
        event('response.output_item.done', { output_index: item.outputIndex, item: done });
        return;
      }
      case 'reasoning': {
        const part = { type: 'reasoning_text', text: item.text };
        const done: Item = { id: item.id, type: 'reasoning', summary: [], content: [part] };
        output[item.outputIndex] = done;
        event('response.reasoning_text.done', { ...at, content_index: 0, text: item.text });
        event('response.content_part.done', { ...at, content_index: 0, part });
        event('response.output_item.done', { output_index: item.outputIndex, item: done });
        return;
      }
      case 'function_call': {
        const done = output[item.outputIndex] as Item;
        done.status = 'completed';
        event('response.function_call_arguments.done', { ...at, name: done.name, arguments: done.arguments });
        event('response.output_item.done', { output_index: item.outputIndex, item: done });
        return;
      }
      default:
        assertNever(item.kind);
    }
  };

  /** The open item of `kind`, or a new one after closing whatever was open. */
  const itemOf = (kind: OpenItem['kind'], idPrefix: string, added: Item): OpenItem => {
    if (open?.kind === kind && kind !== 'function_call') return open;
    close();
    const outputIndex = output.length;
    const id = `${idPrefix}_${meta.streamId}_${outputIndex}`;
    const item = { id, ...added };
    output.push(item);
    open = { kind, outputIndex, id, text: '' };
    event('response.output_item.added', { output_index: outputIndex, item });
    const emptyPart = kind === 'message' ? { type: 'output_text', annotations: [], logprobs: [], text: '' } : { type: 'reasoning_text', text: '' };
    if (kind !== 'function_call') event('response.content_part.added', { item_id: id, output_index: outputIndex, content_index: 0, part: emptyPart });
    return open;
  };

  return {
    start(): string {
      event('response.created', { response: response('in_progress') });
      event('response.in_progress', { response: response('in_progress') });
      return take();
    },
    encode(parts: readonly StreamPart[]): string {
      for (const part of parts) {
        switch (part.type) {
          case 'text-delta': {
            const item = itemOf('message', 'msg', { type: 'message', status: 'in_progress', content: [], role: 'assistant' });
            item.text += part.text;
            event('response.output_text.delta', { item_id: item.id, output_index: item.outputIndex, content_index: 0, delta: part.text, logprobs: [] });
            break;
          }
          case 'reasoning-delta': {
            const item = itemOf('reasoning', 'rs', { type: 'reasoning', summary: [], content: [] });
            item.text += part.text;
            event('response.reasoning_text.delta', { item_id: item.id, output_index: item.outputIndex, content_index: 0, delta: part.text });
            break;
          }
          case 'tool-call-delta': {
            let call = functionCalls.get(part.index);
            if (!call) {
              const { outputIndex } = itemOf('function_call', 'fc', {
                type: 'function_call',
                status: 'in_progress',
                arguments: '',
                call_id: part.id ?? `call_${meta.streamId}_${part.index}`,
                name: part.name ?? '',
              });
              call = { item: output[outputIndex] as Item, outputIndex };
              functionCalls.set(part.index, call);
            }
            if (part.argumentsDelta === '') break;
            // A late fragment of an earlier call still names its own item, where clients accumulate it.
            call.item.arguments = `${call.item.arguments as string}${part.argumentsDelta}`;
            event('response.function_call_arguments.delta', { item_id: call.item.id, output_index: call.outputIndex, delta: part.argumentsDelta });
            break;
          }
          case 'usage':
            usage = part.usage;
            break;
          case 'finish': {
            close();
            const incomplete = incompleteReason(part.finishReason);
            final = incomplete ? response('incomplete', { incomplete_details: { reason: incomplete } }) : response('completed');
            event(incomplete ? 'response.incomplete' : 'response.completed', { response: final });
            break;
          }
          case 'error': {
            const error = { code: part.code, message: part.message };
            ended = part.code === 'cancelled' ? { status: 'cancelled' } : { status: 'failed', extra: { error } };
            event('error', { ...error, param: null });
            event('response.failed', { response: response('failed', { error }) });
            break;
          }
          case 'response-metadata':
          case 'sources':
          // A continued answer reads as one response: its sequence numbers and output items simply go on.
          case 'continued':
            break;
          default:
            assertNever(part);
        }
      }
      return take();
    },
    /** The response object of a finished stream (what `response.completed` carried). */
    finalResponse(): Item | undefined {
      return final;
    },
    /**
     * The response object as it stands: the final one once the stream ended, else `in_progress` with the
     * output so far (for `GET /v1/responses/{id}` of a background response), or `failed`.
     */
    currentResponse(): Item {
      if (final) return final;
      const items = output.map((item, index) => (open?.outputIndex === index && open.kind !== 'function_call' ? openItemSoFar(item, open) : item));
      return { ...response(ended?.status ?? 'in_progress', ended?.extra), output: items };
    },
  };
}

/** An item still being written, with its text so far. */
function openItemSoFar(item: Item, open: OpenItem): Item {
  const part = open.kind === 'message' ? { type: 'output_text', annotations: [], logprobs: [], text: open.text } : { type: 'reasoning_text', text: open.text };
  return { ...item, content: [part] };
}

function incompleteReason(reason: FinishReason): string | undefined {
  if (reason === 'length') return 'max_output_tokens';
  if (reason === 'content_filter') return 'content_filter';
  return undefined;
}

function toResponsesUsage(usage: Usage): Item {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.totalTokens,
    ...(usage.estimated ? { estimated: true } : {}),
  };
}

export const openaiResponsesDialect: EgressDialect = {
  name: 'openai-responses',
  contentType: 'text/event-stream; charset=utf-8',
  heartbeat: encodeSseComment('ping'),
  createEncoder(meta: StreamMeta): EgressEncoder {
    return createResponsesWriter(meta);
  },
};

/** The response object for `stream: false`: the same writer, its events unwritten. */
export function createResponsesCollector(meta: StreamMeta): ResponseCollector {
  const writer = createResponsesWriter(meta);
  return {
    add(part) {
      writer.encode([part]);
    },
    toResponse() {
      return writer.finalResponse();
    },
  };
}
