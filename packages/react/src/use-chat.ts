import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { createChatStore, type ChatState, type ChatStore, type ChatStoreOptions } from './chat-store.ts';

export interface UseChatOptions extends ChatStoreOptions {
  /** A store made with `createChatStore`, to share one conversation between components or keep it across mounts. */
  store?: ChatStore;
}

export interface UseChatHelpers extends ChatState, Omit<ChatStore, 'getSnapshot' | 'subscribe'> {
  store: ChatStore;
}

/**
 * The chat store as React state. Options are read once, when the component first renders (pass a
 * `store` to control its life yourself). A store the hook made is stopped when the component unmounts,
 * so leaving the page section stops the model too.
 */
export function useChat(options: UseChatOptions = {}): UseChatHelpers {
  const [{ store, owned }] = useState(() => ({ store: options.store ?? createChatStore(options), owned: options.store === undefined }));
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  useEffect(() => (owned ? () => store.stop() : undefined), [store, owned]);
  return useMemo(
    () => ({
      ...state,
      store,
      setInput: store.setInput,
      send: store.send,
      reload: store.reload,
      stop: store.stop,
      setMessages: store.setMessages,
      clearError: store.clearError,
    }),
    [state, store],
  );
}
