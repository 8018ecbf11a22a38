import {
  streamChat,
  SluiceClientError,
  type ChatStreamEvent,
  type DoneFinishReason,
  type ReconnectInfo,
  type Source,
  type StreamChatOptions,
  type UsageEvent,
} from '@sluice/client';

/** `submitted`: sent, nothing shown yet; `streaming`: tokens arriving; `ready`: idle; `error`: the last request failed. */
export type ChatStatus = 'submitted' | 'streaming' | 'ready' | 'error';

export interface UIMessageTiming {
  /** `performance.now()` when the request was sent. */
  startedAt: number;
  firstTokenAt?: number;
  finishedAt?: number;
}

export interface UIMessage {
  id: string;
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** The model that answered, from the `meta` event (assistant messages only, as are the fields below). */
  model?: string;
  /** True when the answer came from Sluice's built-in demo model. */
  demo?: boolean;
  sources?: Source[];
  /** For an answer grounded in `sources`: the numbers of the sources it cited (`1` is `sources[0]`), from `done`. */
  citations?: number[];
  usage?: UsageEvent;
  /** Set when the answer ended: `cancelled` after `stop()`, `error` after a failure. */
  finishReason?: DoneFinishReason;
  timing?: UIMessageTiming;
  /** How many times a dropped connection was re-established while this answer streamed. */
  reconnects?: number;
}

export interface ChatState {
  messages: readonly UIMessage[];
  input: string;
  status: ChatStatus;
  error: SluiceClientError | undefined;
  /** Set while the connection is down and the client is about to resume it; cleared by the next event. */
  reconnecting: ReconnectInfo | undefined;
}

/** Per-request overrides for `send` and `reload`. */
export type SendOptions = Pick<StreamChatOptions, 'model' | 'parameters' | 'headers'>;

type TransportOptions = Omit<
  StreamChatOptions,
  'messages' | 'prompt' | 'signal' | 'onEvent' | 'onToken' | 'onReconnect' | 'onResume' | 'onFinish' | 'onError'
>;

export interface ChatStoreOptions extends TransportOptions {
  initialMessages?: UIMessage[];
  initialInput?: string;
  /** Called with the assistant message once it has finished (`done`) or been stopped. */
  onFinish?: (message: UIMessage) => void;
  /** Called for every failure; `stop()` is not a failure. */
  onError?: (error: SluiceClientError) => void;
  /** @default crypto.randomUUID */
  generateId?: () => string;
}

export interface ChatStore {
  getSnapshot(): ChatState;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  setInput(input: string): void;
  /** Sends `text`, or the current input (and clears it). Ignored while a request is in flight or when empty. */
  send(text?: string, options?: SendOptions): Promise<void>;
  /** Asks again for the last answer: drops the last assistant message and resends the conversation. */
  reload(options?: SendOptions): Promise<void>;
  /** Aborts the request in flight, which closes the connection so the server stops the model; keeps the partial answer. */
  stop(): void;
  setMessages(messages: UIMessage[] | ((messages: readonly UIMessage[]) => UIMessage[])): void;
  clearError(): void;
}

/**
 * A chat conversation without any UI framework: state in one immutable snapshot, changes announced to
 * subscribers. `useChat` is a thin React layer over it; other frameworks can subscribe directly.
 */
export function createChatStore(options: ChatStoreOptions = {}): ChatStore {
  const { initialMessages, initialInput, onFinish, onError, generateId = () => crypto.randomUUID(), ...transport } = options;
  const listeners = new Set<() => void>();
  let state: ChatState = {
    messages: initialMessages ?? [],
    input: initialInput ?? '',
    status: 'ready',
    error: undefined,
    reconnecting: undefined,
  };
  let activeRun: { abort: () => void } | undefined;

  function update(patch: Partial<ChatState>): void {
    state = { ...state, ...patch };
    for (const listener of listeners) listener();
  }

  function updateMessage(id: string, change: (message: UIMessage) => UIMessage, patch: Partial<ChatState> = {}): void {
    update({ ...patch, messages: state.messages.map((message) => (message.id === id ? change(message) : message)) });
  }

  function findMessage(id: string): UIMessage | undefined {
    return state.messages.find((message) => message.id === id);
  }

  async function run(sendOptions: SendOptions | undefined): Promise<void> {
    const history = state.messages.filter((message) => message.content !== '').map(({ role, content }) => ({ role, content }));
    const startedAt = performance.now();
    let assistantId: string | undefined;
    let stopped = false;
    const stream = streamChat({
      ...transport,
      ...sendOptions,
      messages: history,
      onReconnect: (info) => update({ reconnecting: info }),
      onResume: () => {
        if (assistantId !== undefined) updateMessage(assistantId, (message) => ({ ...message, reconnects: (message.reconnects ?? 0) + 1 }));
      },
    });
    const thisRun = {
      abort: () => {
        stopped = true;
        stream.abort();
      },
    };
    activeRun = thisRun;
    update({ status: 'submitted', error: undefined, reconnecting: undefined });

    const apply = (event: ChatStreamEvent) => {
      if (event.type === 'meta') {
        assistantId = generateId();
        const message: UIMessage = {
          id: assistantId,
          role: 'assistant',
          content: '',
          model: event.model,
          demo: event.demo === true,
          timing: { startedAt },
          reconnects: 0,
        };
        update({ messages: [...state.messages, message], reconnecting: undefined });
        return;
      }
      if (assistantId === undefined) return;
      switch (event.type) {
        case 'token':
          updateMessage(
            assistantId,
            (message) => ({
              ...message,
              content: message.content + event.delta,
              timing: { ...message.timing!, firstTokenAt: message.timing?.firstTokenAt ?? performance.now() },
            }),
            { status: 'streaming', reconnecting: undefined },
          );
          break;
        case 'sources':
          updateMessage(assistantId, (message) => ({ ...message, sources: [...(message.sources ?? []), ...event.sources] }), {
            reconnecting: undefined,
          });
          break;
        case 'usage':
          updateMessage(assistantId, (message) => ({ ...message, usage: event }), { reconnecting: undefined });
          break;
        case 'done':
          if (event.citations !== undefined) updateMessage(assistantId, (message) => ({ ...message, citations: event.citations }));
          finish(event.finish_reason, 'ready', undefined);
          break;
        case 'tool_call':
        case 'object':
        case 'continued':
          // A chat view shows text; an app that runs tools or renders structured answers uses `streamChat`.
          break;
        default:
          event satisfies never;
      }
    };

    const finish = (finishReason: DoneFinishReason, status: ChatStatus, error: SluiceClientError | undefined) => {
      if (activeRun === thisRun) activeRun = undefined;
      if (assistantId !== undefined) {
        updateMessage(assistantId, (message) => ({
          ...message,
          finishReason,
          timing: { ...message.timing!, finishedAt: performance.now() },
        }));
      }
      update({ status, error, reconnecting: undefined });
      const message = assistantId === undefined ? undefined : findMessage(assistantId);
      if (error !== undefined) onError?.(error);
      else if (message !== undefined) onFinish?.(message);
    };

    try {
      for await (const event of stream) {
        if (stopped) break;
        apply(event);
      }
    } catch (caught) {
      if (stopped) return;
      const error =
        caught instanceof SluiceClientError ? caught : new SluiceClientError('internal', 'The chat request failed', { cause: caught });
      finish('error', 'error', error);
    }
  }

  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setInput(input) {
      update({ input });
    },
    async send(text, sendOptions) {
      const content = (text ?? state.input).trim();
      if (content === '' || activeRun !== undefined) return;
      update({
        messages: [...state.messages, { id: generateId(), role: 'user', content }],
        ...(text === undefined ? { input: '' } : {}),
      });
      await run(sendOptions);
    },
    async reload(sendOptions) {
      if (activeRun !== undefined) return;
      const lastUserIndex = state.messages.findLastIndex((message) => message.role === 'user');
      if (lastUserIndex === -1) return;
      update({ messages: state.messages.slice(0, lastUserIndex + 1) });
      await run(sendOptions);
    },
    stop() {
      const current = activeRun;
      if (current === undefined) return;
      activeRun = undefined;
      current.abort();
      const last = state.messages.at(-1);
      if (last?.role === 'assistant' && last.finishReason === undefined) {
        updateMessage(last.id, (message) => ({
          ...message,
          finishReason: 'cancelled',
          timing: { ...message.timing!, finishedAt: performance.now() },
        }));
        onFinish?.(findMessage(last.id)!);
      }
      update({ status: 'ready', reconnecting: undefined });
    },
    setMessages(messages) {
      update({ messages: typeof messages === 'function' ? messages(state.messages) : messages });
    },
    clearError() {
      if (state.status === 'error') update({ status: 'ready', error: undefined });
    },
  };
}
