/**
 * `sluice/client`: stream answers from a Sluice gateway in browsers and Node. It depends only on the
 * protocol types and eventsource-parser, so it bundles without any server code.
 */

export { type ChatMessage, type ChatRole, type DoneEvent, type DoneFinishReason, type ErrorEvent, type MetaEvent, type ObjectEvent, parsePartialJson, type PartialJsonResult, type PartialJsonState, type SluiceErrorCode, type SluiceEvent, type SluiceEventType, type Source, type SourcesEvent, type TokenEvent, type ToolCallEvent, type UsageEvent } from '@sluice/protocol';
export { ChatStream, type ChatResult, type ChatStreamCallbacks, type ChatStreamEvent, type ToolCallResult } from './chat-stream.ts';
export {
  clientErrorCodes,
  isSluiceClientError,
  SluiceClientError,
  type ClientOnlyErrorCode,
  type SluiceClientErrorCode,
  type SluiceClientErrorOptions,
} from './client-error.ts';
export type { ConnectionOptions } from './connection-options.ts';
export type { ReconnectCallbacks, ReconnectInfo, ResumeInfo } from './open-event-stream.ts';
export type { ReconnectOptions } from './reconnect-policy.ts';
export { streamChat, type StreamChatOptions } from './stream-chat.ts';
export { streamOpenAIChat, type StreamOpenAIChatOptions } from './stream-openai-chat.ts';
export { streamPartialObjects, type DeepPartial } from './stream-partial-objects.ts';
