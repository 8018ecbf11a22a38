import type { OpenedStream, SseMessage } from './sse-client.ts';

/** What a client of any dialect got from one stream, in common terms. */
export interface StreamSummary {
  text: string;
  /** `done` for a successful ending, `error` for an in-band error, `none` for a stream that just stopped. */
  ending: 'done' | 'error' | 'none';
  errorCode: string | undefined;
  finishReason: string | undefined;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  /** The text of each event that carried text, to see coalescing. */
  textDeltas: string[];
  /** Tool calls in the order they started, their arguments whole. */
  toolCalls: { id: string | undefined; name: string | undefined; arguments: string }[];
}

/**
 * A client dialect as the shared stream tests see it: where to send a prompt and how to read the
 * answer. Every dialect Sluice speaks has one, so the cancel, heartbeat, timeout, error and
 * backpressure tests run against all of them.
 */
export interface DialectReader {
  name: string;
  path: string;
  body(prompt: string): Record<string, unknown>;
  /** Reads the SSE messages; a format that is not SSE (plain text) reads the stream itself. */
  summarize(messages: SseMessage[], stream?: OpenedStream): StreamSummary;
  /** What the format can say at all: the shared tests check each only where it exists. */
  carries: { usage: boolean; finishReason: boolean; errorCode: boolean; toolCalls: boolean };
  /** One heartbeat in the raw body (global, multiline), or undefined for a format without heartbeats. */
  heartbeat: RegExp | undefined;
}

const everything = { usage: true, finishReason: true, errorCode: true, toolCalls: true };

function emptySummary(): StreamSummary {
  return { text: '', ending: 'none', errorCode: undefined, finishReason: undefined, usage: undefined, textDeltas: [], toolCalls: [] };
}

/** Appends a tool call fragment to the call at `index`, starting it when new. */
function addToolCall(summary: StreamSummary, index: number, id: string | undefined, name: string | undefined, argumentsDelta: string): void {
  const call = (summary.toolCalls[index] ??= { id: undefined, name: undefined, arguments: '' });
  call.id ??= id;
  call.name ??= name;
  call.arguments += argumentsDelta;
}

function addText(summary: StreamSummary, text: string): void {
  summary.text += text;
  summary.textDeltas.push(text);
}

export const sluiceReader: DialectReader = {
  name: 'sluice events',
  path: '/v1/chat/stream',
  body: (prompt) => ({ prompt, model: 'gpt-test' }),
  carries: everything,
  heartbeat: /^: ping$/gm,
  summarize(messages) {
    const summary = emptySummary();
    for (const message of messages) {
      const data = JSON.parse(message.data) as Record<string, any>;
      if (data.type !== message.event) throw new Error(`event name ${message.event} differs from type ${data.type}`);
      if (summary.ending !== 'none' && !(summary.ending === 'error' && data.type === 'done')) throw new Error(`event after the end: ${message.data}`);
      if (data.type === 'token') addText(summary, data.delta);
      else if (data.type === 'tool_call') addToolCall(summary, data.index, data.id, data.name, data.arguments_delta);
      else if (data.type === 'usage') summary.usage = data as never;
      else if (data.type === 'error') {
        summary.ending = 'error';
        summary.errorCode = data.code;
      } else if (data.type === 'done') {
        summary.finishReason = data.finish_reason;
        if (summary.ending !== 'error') summary.ending = 'done';
      }
    }
    return summary;
  },
};

export const openaiChatReader: DialectReader = {
  name: 'openai chat completions',
  path: '/v1/chat/completions',
  body: (prompt) => ({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }], stream: true, stream_options: { include_usage: true } }),
  carries: everything,
  heartbeat: /^: ping$/gm,
  summarize(messages) {
    const summary = emptySummary();
    for (const message of messages) {
      if (summary.ending !== 'none') throw new Error(`data after the end: ${message.data}`);
      if (message.data === '[DONE]') {
        summary.ending = 'done';
        continue;
      }
      const chunk = JSON.parse(message.data) as Record<string, any>;
      if (chunk.error) {
        summary.ending = 'error';
        summary.errorCode = chunk.error.code;
        continue;
      }
      const choice = chunk.choices?.[0];
      if (typeof choice?.delta?.content === 'string' && choice.delta.content !== '') addText(summary, choice.delta.content);
      for (const call of choice?.delta?.tool_calls ?? []) addToolCall(summary, call.index, call.id, call.function?.name, call.function?.arguments ?? '');
      if (choice?.finish_reason) summary.finishReason = choice.finish_reason;
      if (chunk.usage) summary.usage = chunk.usage;
    }
    return summary;
  },
};

/** Anthropic's error types back to the Sluice codes they were made from, for the common summary. */
const anthropicErrorCodes: Record<string, string> = {
  api_error: 'upstream_error',
  timeout_error: 'timeout',
  overloaded_error: 'overloaded',
  rate_limit_error: 'rate_limited',
  invalid_request_error: 'bad_request',
};
const anthropicStopReasons: Record<string, string> = { end_turn: 'stop', max_tokens: 'length', tool_use: 'tool_calls', refusal: 'content_filter' };

export const anthropicMessagesReader: DialectReader = {
  name: 'anthropic messages',
  path: '/v1/messages',
  body: (prompt) => ({ model: 'gpt-test', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: prompt }] }),
  carries: everything,
  heartbeat: /^event: ping$/gm,
  summarize(messages) {
    const summary = emptySummary();
    const toolByBlock = new Map<number, number>();
    let started = false;
    for (const message of messages) {
      const data = JSON.parse(message.data) as Record<string, any>;
      if (data.type !== message.event) throw new Error(`event name ${message.event} differs from type ${data.type}`);
      if (summary.ending !== 'none') throw new Error(`event after the end: ${message.data}`);
      if (!started && data.type !== 'message_start' && data.type !== 'ping') throw new Error(`${data.type} before message_start`);
      switch (data.type) {
        case 'message_start':
          started = true;
          break;
        case 'content_block_start':
          if (data.content_block.type === 'tool_use') {
            toolByBlock.set(data.index, toolByBlock.size);
            addToolCall(summary, toolByBlock.size - 1, data.content_block.id, data.content_block.name, '');
          }
          break;
        case 'content_block_delta':
          if (data.delta.type === 'text_delta') addText(summary, data.delta.text);
          if (data.delta.type === 'input_json_delta') addToolCall(summary, toolByBlock.get(data.index)!, undefined, undefined, data.delta.partial_json);
          break;
        case 'message_delta':
          summary.finishReason = anthropicStopReasons[data.delta.stop_reason] ?? data.delta.stop_reason;
          if (typeof data.usage.input_tokens === 'number') summary.usage = { prompt_tokens: data.usage.input_tokens, completion_tokens: data.usage.output_tokens };
          break;
        case 'message_stop':
          summary.ending = 'done';
          break;
        case 'error':
          summary.ending = 'error';
          summary.errorCode = anthropicErrorCodes[data.error.type] ?? data.error.type;
          break;
      }
    }
    return summary;
  },
};

export const openaiResponsesReader: DialectReader = {
  name: 'openai responses',
  path: '/v1/responses',
  body: (prompt) => ({ model: 'gpt-test', input: prompt, stream: true }),
  carries: everything,
  heartbeat: /^: ping$/gm,
  summarize(messages) {
    const summary = emptySummary();
    const toolByOutput = new Map<number, number>();
    for (const [index, message] of messages.entries()) {
      const data = JSON.parse(message.data) as Record<string, any>;
      if (data.type !== message.event) throw new Error(`event name ${message.event} differs from type ${data.type}`);
      if (data.sequence_number !== index) throw new Error(`sequence_number ${data.sequence_number} at event ${index}`);
      if (summary.ending === 'done' || (summary.ending === 'error' && data.type !== 'response.failed')) throw new Error(`event after the end: ${message.data}`);
      switch (data.type) {
        case 'response.output_text.delta':
          addText(summary, data.delta);
          break;
        case 'response.output_item.added':
          if (data.item.type === 'function_call') {
            toolByOutput.set(data.output_index, toolByOutput.size);
            addToolCall(summary, toolByOutput.size - 1, data.item.call_id, data.item.name, '');
          }
          break;
        case 'response.function_call_arguments.delta':
          addToolCall(summary, toolByOutput.get(data.output_index)!, undefined, undefined, data.delta);
          break;
        case 'response.completed':
        case 'response.incomplete':
          summary.ending = 'done';
          summary.finishReason = data.type === 'response.incomplete' ? 'length' : toolByOutput.size > 0 ? 'tool_calls' : 'stop';
          if (data.response.usage) summary.usage = { prompt_tokens: data.response.usage.input_tokens, completion_tokens: data.response.usage.output_tokens };
          break;
        case 'error':
          summary.ending = 'error';
          summary.errorCode = data.code;
          break;
      }
    }
    return summary;
  },
};

const uiFinishReasons: Record<string, string> = { 'tool-calls': 'tool_calls', 'content-filter': 'content_filter' };

export const uiMessageStreamReader: DialectReader = {
  name: 'ai sdk ui message stream',
  path: '/v1/ui-message-stream',
  body: (prompt) => ({ model: 'gpt-test', id: 'chat-1', trigger: 'submit-message', messages: [{ id: 'message-1', role: 'user', parts: [{ type: 'text', text: prompt }] }] }),
  // The stream's error chunk has only `errorText`; usage would be app-defined message metadata.
  carries: { usage: false, finishReason: true, errorCode: false, toolCalls: true },
  heartbeat: /^: ping$/gm,
  summarize(messages) {
    const summary = emptySummary();
    const tools = new Map<string, number>();
    let done = false;
    for (const message of messages) {
      if (done) throw new Error(`data after [DONE]: ${message.data}`);
      if (message.data === '[DONE]') {
        done = true;
        continue;
      }
      const chunk = JSON.parse(message.data) as Record<string, any>;
      if (summary.ending !== 'none') throw new Error(`chunk after the end: ${message.data}`);
      switch (chunk.type) {
        case 'text-delta':
          addText(summary, chunk.delta);
          break;
        case 'tool-input-start':
          tools.set(chunk.toolCallId, tools.size);
          addToolCall(summary, tools.size - 1, chunk.toolCallId, chunk.toolName, '');
          break;
        case 'tool-input-delta':
          addToolCall(summary, tools.get(chunk.toolCallId)!, undefined, undefined, chunk.inputTextDelta);
          break;
        case 'finish':
          summary.ending = 'done';
          summary.finishReason = uiFinishReasons[chunk.finishReason] ?? chunk.finishReason;
          break;
        case 'error':
        case 'abort':
          summary.ending = 'error';
          break;
      }
    }
    if (!done) summary.ending = 'none';
    return summary;
  },
};

const errorLine = /\n\[error ([a-z_]+)\] [^\n]*\n$/;

export const plainTextReader: DialectReader = {
  name: 'plain text',
  path: '/v1/chat/text',
  body: (prompt) => ({ prompt, model: 'gpt-test' }),
  carries: { usage: false, finishReason: false, errorCode: true, toolCalls: false },
  heartbeat: undefined,
  summarize(_messages, stream) {
    if (!stream) throw new Error('plain text is read from the stream, not from SSE messages');
    const summary = emptySummary();
    const raw = stream.raw();
    // A whole body is an answer; a cut one a failure, whose last line says which.
    const failure = stream.complete() ? null : errorLine.exec(raw);
    summary.text = failure ? raw.slice(0, failure.index) : raw;
    summary.ending = stream.complete() ? 'done' : failure ? 'error' : 'none';
    summary.errorCode = failure?.[1];
    return summary;
  },
};

/** Every streaming dialect; providers and dialects added later join this list. */
export const dialectReaders: DialectReader[] = [sluiceReader, openaiChatReader, anthropicMessagesReader, openaiResponsesReader, uiMessageStreamReader, plainTextReader];
