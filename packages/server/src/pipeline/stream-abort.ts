import { SluiceError, type SluiceErrorCode } from '@sluice/protocol';

/** Why a stream was ended early; the label of the cancellations metric and of the log line. */
export type StreamAbortReason =
  | 'client_closed'
  | 'send_timeout'
  | 'first_token_timeout'
  | 'idle_timeout'
  | 'total_timeout'
  | 'shutdown'
  | 'cancel_requested'
  | 'budget_exceeded'
  | 'internal_error';

const codes: Record<StreamAbortReason, SluiceErrorCode> = {
  client_closed: 'cancelled',
  send_timeout: 'timeout',
  first_token_timeout: 'timeout',
  idle_timeout: 'timeout',
  total_timeout: 'timeout',
  shutdown: 'shutting_down',
  cancel_requested: 'cancelled',
  budget_exceeded: 'budget_exceeded',
  internal_error: 'internal',
};

/**
 * The reason every stream AbortController is aborted with. The upstream request sees the abort and
 * closes its socket; the pipeline turns the reason into the stream's terminal `error` part.
 */
export class StreamAbort extends SluiceError {
  readonly reason: StreamAbortReason;

  constructor(reason: StreamAbortReason, message: string) {
    super(codes[reason], message);
    this.reason = reason;
  }
}
