/** `sluice/react`: a chat store without framework ties, and the `useChat` hook over it. Depends on `sluice/client` only. */

export {
  createChatStore,
  type ChatState,
  type ChatStatus,
  type ChatStore,
  type ChatStoreOptions,
  type SendOptions,
  type UIMessage,
  type UIMessageTiming,
} from './chat-store.ts';
export { useChat, type UseChatHelpers, type UseChatOptions } from './use-chat.ts';
