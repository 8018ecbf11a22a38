/**
 * `@sluice/protocol`: the vocabulary that Sluice's server and clients share: stream parts, the Sluice
 * event dialect, typed errors, SSE encoding and an incremental partial-JSON parser. No dependencies.
 */

export type { ChatGrounding, ChatMessage, ChatRequest, ChatRole } from './chat-request.ts';
export { describeValue } from './describe-value.ts';
export { errorCodes, isSluiceError, normalizeError, SluiceError, type SluiceErrorCode, type SluiceErrorOptions } from './errors.ts';
export { parsePartialJson, type PartialJsonResult, type PartialJsonState } from './partial-json.ts';
export type {
  ContinuedEvent,
  DoneEvent,
  DoneFinishReason,
  ErrorEvent,
  MetaEvent,
  ObjectEvent,
  SluiceEvent,
  SluiceEventType,
  SourcesEvent,
  TokenEvent,
  ToolCallEvent,
  UsageEvent,
} from './sluice-event.ts';
export { encodeSseComment, encodeSseEvent, encodeSseRetry } from './sse-encode.ts';
export type { StreamMeta } from './stream-meta.ts';
export {
  assertNever,
  endAtTerminal,
  isTerminalPart,
  type ContinuationMethod,
  type ContinuationTrigger,
  type ContinuedPart,
  type ErrorPart,
  type FinishPart,
  type FinishReason,
  type ReasoningDeltaPart,
  type ResponseMetadataPart,
  type Source,
  type SourcesPart,
  type StreamPart,
  type StreamPartType,
  type TextDeltaPart,
  type ToolCallDeltaPart,
  type Usage,
  type UsagePart,
} from './stream-part.ts';
